// HTTPRoute filters end to end, each case run through a caller's sidecar (mesh route, Service
// parent) and through a Gateway (the same route has both parents): URLRewrite (ReplaceFullPath,
// ReplacePrefixMatch with the specification's prefix edge cases, hostname), every RequestRedirect
// field and status code (default ports left out of Location; a mesh route keeps the Service's port),
// backendRef-level header modifiers, weight 0, a missing Service answering 500 for exactly its
// share, timeouts.request / timeouts.backendRequest → 504 timeout, and a rule's `request: 0s`
// switching off the Service policy's timeout.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { freePort } from '../supervisor/free-port.js'
import { get } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'

const SERVICE_PORT = 8081
const mesh = new TestMesh()
let gwPort = 0
const via: Record<'sidecar' | 'gateway', { base: string; port: number }> = { sidecar: { base: '', port: 0 }, gateway: { base: '', port: 0 } }

const rewrite = (prefix: string, type: 'ReplaceFullPath' | 'ReplacePrefixMatch', value: string, matchType = 'PathPrefix') => `
    - matches: [{ path: { type: ${matchType}, value: ${prefix} } }]
      filters: [{ type: URLRewrite, urlRewrite: { path: { type: ${type}, ${type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch'}: "${value}" } } }]
      backendRefs: [{ name: api }]`
const redirect = (path: string, fields: string, matchType = 'Exact') => `
    - matches: [{ path: { type: ${matchType}, value: ${path} } }]
      filters: [{ type: RequestRedirect, requestRedirect: { ${fields} } }]`

const config = (gw: number) => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: ${SERVICE_PORT}, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: other }
spec: { port: 80, selector: { app: other } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: slow }
spec: { port: 80, selector: { app: slow } }
---
apiVersion: trellis.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: slow }
spec: { targetRef: { kind: Service, name: slow }, timeout: 300ms }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: other, labels: { app: other } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: slow, labels: { app: slow } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: api }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: ${gw}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: rewrites }
spec:
  parentRefs: [{ name: edge }, { kind: Service, name: api }]
  rules:${rewrite('/full', 'ReplaceFullPath', '/replaced')}${rewrite('/strip', 'ReplacePrefixMatch', '/')}${rewrite('/foo', 'ReplacePrefixMatch', '/xyz')}${rewrite('/slash/', 'ReplacePrefixMatch', '/xyz/')}${rewrite('/exact', 'ReplaceFullPath', '/elsewhere', 'Exact')}
    - matches: [{ path: { type: PathPrefix, value: /host } }]
      filters: [{ type: URLRewrite, urlRewrite: { hostname: rewritten.example.com, path: { type: ReplacePrefixMatch, replacePrefixMatch: /h } } }]
      backendRefs: [{ name: api }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: redirects }
spec:
  parentRefs: [{ name: edge }, { kind: Service, name: api }]
  rules:${redirect('/r/scheme', 'scheme: https')}${redirect('/r/scheme-http', 'scheme: http')}${redirect('/r/hostname', 'hostname: other.example.com')}${redirect('/r/port', 'port: 9090')}${redirect('/r/port80', 'port: 80')}${redirect('/r/https443', 'scheme: https, port: 443')}${redirect('/r/https8443', 'scheme: https, port: 8443')}${redirect('/r/full', 'path: { type: ReplaceFullPath, replaceFullPath: /new }')}${redirect('/r/prefix', 'path: { type: ReplacePrefixMatch, replacePrefixMatch: /moved }', 'PathPrefix')}${redirect('/r/all', 'scheme: https, hostname: all.example.com, port: 8443, path: { type: ReplaceFullPath, replaceFullPath: /everything }, statusCode: 308')}${[301, 302, 303, 307, 308].map(c => redirect(`/r/s${c}`, `statusCode: ${c}`)).join('')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: backends }
spec:
  parentRefs: [{ name: edge }, { kind: Service, name: api }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /backend-filters } }]
      filters: [{ type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-rule, value: rule }] } }]
      backendRefs:
        - name: api
          filters:
            - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-backend-filter, value: api }], add: [{ name: x-multi, value: b }], remove: [x-drop] } }
            - { type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-backend-res, value: api }], remove: [content-type] } }
    - matches: [{ path: { type: PathPrefix, value: /weight-zero } }]
      backendRefs: [{ name: api, weight: 1 }, { name: other, weight: 0 }]
    - matches: [{ path: { type: PathPrefix, value: /all-zero } }]
      backendRefs: [{ name: api, weight: 0 }]
    - matches: [{ path: { type: PathPrefix, value: /split } }]
      backendRefs: [{ name: api, weight: 50 }, { name: missing, weight: 50 }]
    - matches: [{ path: { type: PathPrefix, value: /t/request } }]
      timeouts: { request: 300ms }
      backendRefs: [{ name: slow }]
    - matches: [{ path: { type: PathPrefix, value: /t/backend } }]
      timeouts: { request: 5s, backendRequest: 300ms }
      retry: { attempts: 0 }
      backendRefs: [{ name: slow }]
    - matches: [{ path: { type: PathPrefix, value: /t/fast } }]
      timeouts: { request: 3s, backendRequest: 3s }
      backendRefs: [{ name: slow }]
    - matches: [{ path: { type: PathPrefix, value: /t/off } }]
      timeouts: { request: 0s }
      backendRefs: [{ name: slow }]
    - matches: [{ path: { type: PathPrefix, value: /t/service } }]
      backendRefs: [{ name: slow }]
`

before(async () => {
  gwPort = await freePort()
  await mesh.start()
  await mesh.apply(config(gwPort))
  const client = await mesh.replica('client', 0)
  await mesh.replica('api', 0)
  await mesh.replica('other', 0)
  await mesh.replica('slow', 0, { delayMs: 1000 })
  await mesh.gateway('edge')
  await mesh.settled()
  via.sidecar = { base: `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`, port: SERVICE_PORT }
  via.gateway = { base: `http://127.0.0.1:${gwPort}`, port: gwPort }
})
after(() => mesh.stop())

const HOST = 'www.example.com'
const seen = async (base: string, path: string, headers: Record<string, string> = {}) => {
  const r = await get(`${base}${path}`, { host: HOST, ...headers })
  assert.equal(r.status, 200, `${path}: ${r.body}`)
  return r.json() as { name: string; url: string; headers: Record<string, string> }
}

for (const where of ['sidecar', 'gateway'] as const) {
  test(`${where}: URLRewrite ReplaceFullPath and ReplacePrefixMatch, with the specification's prefix edge cases`, async () => {
    const { base } = via[where]
    const cases: [string, string][] = [
      ['/full', '/replaced'], ['/full/a/b?q=1', '/replaced?q=1'],
      ['/exact', '/elsewhere'],
      // prefix /strip, replacement "/"
      ['/strip', '/'], ['/strip/', '/'], ['/strip/a/b', '/a/b'], ['/strip?x=y', '/?x=y'],
      // prefix /foo, replacement /xyz
      ['/foo', '/xyz'], ['/foo/', '/xyz/'], ['/foo/bar', '/xyz/bar'], ['/foo/bar/baz?k=v', '/xyz/bar/baz?k=v'],
      // prefix /slash/ (trailing slash ignored), replacement /xyz/ (trailing slash ignored)
      ['/slash', '/xyz'], ['/slash/', '/xyz/'], ['/slash/bar', '/xyz/bar'],
    ]
    for (const [path, want] of cases) assert.equal((await seen(base, path)).url, want, path)
    const noSegment = await get(`${base}/foobar`, { host: HOST })
    assert.equal(noSegment.status, 404, 'a prefix matches whole segments only')
  })

  test(`${where}: URLRewrite hostname replaces the Host sent to the backend`, async () => {
    const r = await seen(via[where].base, '/host/x')
    assert.equal(r.headers.host, 'rewritten.example.com')
    assert.equal(r.url, '/h/x')
  })

  test(`${where}: RequestRedirect scheme, hostname, port, path and the default status 302`, async () => {
    const { base, port } = via[where]
    const cases: [string, string][] = [
      ['/r/scheme', `https://${HOST}/r/scheme`],                  // scheme set: its well-known port
      ['/r/scheme-http', `http://${HOST}/r/scheme-http`],
      ['/r/hostname', `http://other.example.com:${port}/r/hostname`],
      ['/r/port', `http://${HOST}:9090/r/port`],
      ['/r/port80', `http://${HOST}/r/port80`],
      ['/r/https443', `https://${HOST}/r/https443`],
      ['/r/https8443', `https://${HOST}:8443/r/https8443`],
      ['/r/full?a=1&b=2', `http://${HOST}:${port}/new?a=1&b=2`],
      ['/r/prefix', `http://${HOST}:${port}/moved`],
      ['/r/prefix/a/b', `http://${HOST}:${port}/moved/a/b`],
    ]
    for (const [path, location] of cases) {
      const r = await get(`${base}${path}`, { host: `${HOST}:1234` })
      assert.equal(r.status, 302, path)
      assert.equal(r.headers.location, location, path)
    }
    const all = await get(`${base}/r/all?x=1`, { host: HOST })
    assert.equal(all.status, 308)
    assert.equal(all.headers.location, 'https://all.example.com:8443/everything?x=1')
  })

  test(`${where}: RequestRedirect statusCode 301, 302, 303, 307 and 308`, async () => {
    for (const code of [301, 302, 303, 307, 308]) {
      const r = await get(`${via[where].base}/r/s${code}`, { host: HOST }, 'POST', 'body')
      assert.equal(r.status, code)
      assert.equal(r.headers.location, `http://${HOST}:${via[where].port}/r/s${code}`)
    }
  })

  test(`${where}: backendRef-level RequestHeaderModifier and ResponseHeaderModifier, after the rule's`, async () => {
    const r = await get(`${via[where].base}/backend-filters`, { host: HOST, 'x-multi': 'a', 'x-drop': 'gone' })
    assert.equal(r.status, 200)
    const h = r.json().headers
    assert.equal(h['x-backend-filter'], 'api')
    assert.equal(h['x-multi'], 'a,b')
    assert.equal(h['x-drop'], undefined)
    assert.equal(r.headers['x-rule'], 'rule')
    assert.equal(r.headers['x-backend-res'], 'api')
    assert.equal(r.headers['content-type'], undefined)
  })

  test(`${where}: a weight-0 backend never gets a request; all weights 0 → 500 no_backend`, async () => {
    for (let i = 0; i < 20; i++) assert.equal((await seen(via[where].base, '/weight-zero')).name, 'api-0')
    const none = await get(`${via[where].base}/all-zero`, { host: HOST })
    assert.equal(none.status, 500)
    assert.equal(none.headers['x-trellis-reason'], 'no_backend')
  })

  test(`${where}: a backendRef to a missing Service answers 500 no_backend for its share (50/50 → half)`, async () => {
    const counts = { ok: 0, noBackend: 0 }
    for (let i = 0; i < 40; i++) {
      const r = await get(`${via[where].base}/split`, { host: HOST })
      if (r.status === 200) counts.ok++
      else if (r.status === 500 && r.headers['x-trellis-reason'] === 'no_backend') counts.noBackend++
    }
    assert.equal(counts.ok + counts.noBackend, 40)
    assert.ok(counts.noBackend >= 16 && counts.noBackend <= 24, `no_backend ${counts.noBackend} of 40`)
  })

  test(`${where}: timeouts.request and timeouts.backendRequest answer 504 timeout; a slow answer within them passes`, async () => {
    for (const path of ['/t/request', '/t/backend']) {
      const started = Date.now()
      const r = await get(`${via[where].base}${path}`, { host: HOST })
      const took = Date.now() - started
      assert.equal(r.status, 504, path)
      assert.equal(r.headers['x-trellis-reason'], 'timeout', path)
      assert.ok(took >= 250 && took < 900, `${path} took ${took} ms`)
    }
    assert.equal((await seen(via[where].base, '/t/fast')).name, 'slow-0')
  })

  test(`${where}: a rule's timeouts.request 0s switches off the Service policy's timeout; without timeouts the policy's applies`, async () => {
    assert.equal((await seen(via[where].base, '/t/off')).name, 'slow-0')
    const r = await get(`${via[where].base}/t/service`, { host: HOST })
    assert.equal(r.status, 504)
    assert.equal(r.headers['x-trellis-reason'], 'timeout')
  })
}
