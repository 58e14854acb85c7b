// Standard proxy behaviour at a sidecar and a gateway: forwarding headers, hop-by-hop removal,
// mesh-made responses with x-trellis-reason, hostnames at the gateway.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { freePort } from '../supervisor/free-port.js'
import { get } from './harness/http.js'

const mesh = new TestMesh()
let url = '', gwUrl = ''
let gwPort = 0

const config = (port: number) => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: 80, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: empty }
spec: { port: 80, selector: { app: nothing-here } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: shadow }
spec: { port: 80, selector: { app: shadow } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: shadow, labels: { app: shadow } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: api }, { service: empty }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /v1 } }]
      filters:
        - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-env, value: prod }], remove: [x-debug] } }
        - { type: ResponseHeaderModifier, responseHeaderModifier: { add: [{ name: x-served-by, value: mesh }] } }
      backendRefs: [{ name: api, port: 80 }]
    - matches: [{ path: { type: Exact, value: /old } }]
      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /new }, statusCode: 301 } }]
    - matches: [{ path: { type: PathPrefix, value: /ghost } }]
      backendRefs: [{ name: ghost, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /mirrored } }]
      filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: shadow, port: 80 } } }, { type: RequestMirror, requestMirror: { backendRef: { name: empty, port: 80 }, percent: 100 } }]
      backendRefs: [{ name: api, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: ${port}, protocol: HTTP, hostname: "*.example.com" }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-api }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [api.example.com]
  rules:
    - backendRefs: [{ name: api, port: 80 }]
`

before(async () => {
  gwPort = await freePort()
  await mesh.start()
  await mesh.apply(config(gwPort))
  const client = await mesh.replica('client', 0)
  await mesh.replica('api', 0)
  await mesh.replica('shadow', 0, { delayMs: 1500 })
  await mesh.gateway('edge')
  await mesh.settled()
  url = `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`
  gwUrl = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

test('forwarding headers are added and hop-by-hop headers removed', async () => {
  const r = await get(`${url}/v1/items`, { connection: 'keep-alive, x-custom', 'x-custom': 'drop-me', 'keep-alive': 'timeout=5', 'x-debug': '1' })
  assert.equal(r.status, 200)
  const seen = r.json().headers as Record<string, string>
  assert.equal(seen['x-custom'], undefined, 'headers named in Connection are removed')
  assert.equal(seen['keep-alive'], undefined)
  assert.match(seen['x-forwarded-for'], /127\.0\.0\.1/)
  assert.equal(seen['x-forwarded-proto'], 'http')
  assert.match(seen['x-request-id'], /^[0-9a-f-]{36}$/)
  assert.equal(seen['x-env'], 'prod')
  assert.equal(seen['x-debug'], undefined)
  assert.equal(r.headers['x-served-by'], 'mesh')
})

test('an incoming x-request-id is kept', async () => {
  const r = await get(`${url}/v1/items`, { 'x-request-id': 'abc-123' })
  assert.equal(r.json().headers['x-request-id'], 'abc-123')
})

test('x-trellis-* headers from the app are stripped at the receiving sidecar; the identity mTLS proved replaces them', async () => {
  const r = await get(`${url}/v1/items`, { 'x-trellis-peer-identity': 'spiffe://evil/sa/admin', 'x-forwarded-client-cert': 'forged' })
  const seen = r.json().headers
  assert.equal(seen['x-trellis-peer-identity'], 'spiffe://trellis.local/ns/default/sa/client')
  assert.equal(seen['x-forwarded-client-cert'], undefined)
})

test('no matching route answers 404 no_route; a missing backend 500 no_backend; no endpoints 503 unavailable', async () => {
  const noRoute = await get(`${url}/elsewhere`)
  assert.equal(noRoute.status, 404)
  assert.equal(noRoute.headers['x-trellis-reason'], 'no_route')
  const ghost = await get(`${url}/ghost`)
  assert.equal(ghost.status, 500)
  assert.equal(ghost.headers['x-trellis-reason'], 'no_backend')
  const client = mesh.sidecars[0]
  const empty = await get(`http://127.0.0.1:${client.outboundPort('default/empty')}/`)
  assert.equal(empty.status, 503)
  assert.equal(empty.headers['x-trellis-reason'], 'unavailable')
})

test('a redirect answers with Location, leaving out the default port', async () => {
  const r = await get(`${url}/old?q=1`, { host: 'api' })
  assert.equal(r.status, 301)
  assert.equal(r.headers.location, 'http://api/new?q=1')
})

test('paths are normalized before routing and forwarded normalized; hostile paths get 400', async () => {
  const r = await get(`${url}/x/../v1//items/%7Eme`)
  assert.equal(r.status, 200)
  assert.equal(r.json().url, '/v1/items/~me')
  const bad = await get(`${url}/v1/a%2fb`)
  assert.equal(bad.status, 400)
  assert.equal(bad.headers['x-trellis-reason'], 'bad_request')
})

test('ambiguous framing (Content-Length with Transfer-Encoding) is rejected with 400', async () => {
  const port = Number(new URL(url).port)
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write('POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
    })
    let data = ''
    s.on('data', d => { data += d })
    s.on('end', () => resolve(data))
    s.on('error', reject)
    setTimeout(() => { s.destroy(); resolve(data) }, 3000)
  })
  assert.match(reply, /^HTTP\/1\.1 400/)
  assert.match(reply, /x-trellis-reason: bad_request/)
})

test('the gateway routes by hostname within its listener hostname', async () => {
  const ok = await get(`${gwUrl}/anything`, { host: 'api.example.com' })
  assert.equal(ok.status, 200)
  assert.equal(ok.json().headers['x-forwarded-proto'], 'http')
  const other = await get(`${gwUrl}/anything`, { host: 'www.example.com' })
  assert.equal(other.status, 404)
  assert.equal(other.headers['x-trellis-reason'], 'no_route')
})

test('at the gateway, client-sent x-forwarded-for is not trusted and x-trellis-* is removed', async () => {
  const r = await get(`${gwUrl}/`, { host: 'api.example.com', 'x-forwarded-for': '6.6.6.6', 'x-trellis-consumer': 'admin' })
  const seen = r.json().headers
  assert.equal(seen['x-forwarded-for'].includes('6.6.6.6'), false)
  assert.equal(seen['x-trellis-consumer'], undefined)
})

test('request bodies stream through', async () => {
  const body = 'x'.repeat(1024 * 1024)
  const r = await get(`${url}/v1/upload`, { 'content-type': 'text/plain' }, 'POST', body)
  assert.equal(r.json().bodyBytes, body.length)
})

test('a mirrored request reaches the shadow with its body, and the slow or missing mirror never delays or fails the main one', async () => {
  const shadow = mesh.backends.find(b => b.name === 'shadow-0')!
  const body = 'm'.repeat(100_000)
  const r = await get(`${url}/mirrored/x`, { 'content-type': 'text/plain' }, 'POST', body)
  assert.equal(r.status, 200)
  assert.equal(r.json().name, 'api-0')
  assert.equal(r.json().bodyBytes, body.length)
  assert.equal(shadow.responded, 0, 'the main answer came back before the slow mirror answered')
  await new Promise(res => setTimeout(res, 1700))
  assert.equal(shadow.hits, 1)
  assert.equal(shadow.lastBodyBytes, body.length, 'the mirror got the whole body')
})
