// backendRef-level filters act once their backend is picked: URLRewrite, RequestRedirect and
// RequestMirror beside the header modifiers, each only on its own backend's share.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { TestMesh } from './harness/mesh.js'
import { docs, service, workload } from './harness/fixtures.js'
import { get, sleep } from './harness/http.js'

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /old } }]
      backendRefs:
        - name: v1
          port: 80
          filters:
            - { type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /new } } }
            - { type: RequestMirror, requestMirror: { backendRef: { name: shadow, port: 80 } } }
    - matches: [{ path: { type: PathPrefix, value: /moved } }]
      backendRefs:
        - name: v1
          port: 80
          filters: [{ type: RequestRedirect, requestRedirect: { hostname: elsewhere.example, statusCode: 308 } }]
`

const mesh = new TestMesh()
let url = ''

before(async () => {
  await mesh.start()
  await mesh.apply(docs(service('api'), service('v1'), service('shadow'), workload('v1'), workload('shadow'),
    workload('client', { upstreams: ['api'] }), ROUTE))
  const client = await mesh.replica('client', 0)
  await mesh.replica('v1', 0)
  await mesh.replica('shadow', 0)
  await mesh.settled()
  url = `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`
})
after(() => mesh.stop())

test('a backendRef URLRewrite and RequestMirror apply to that backend', async () => {
  const r = await get(`${url}/old/page?x=1`)
  assert.equal(r.status, 200)
  assert.equal(r.json().name, 'v1-0')
  assert.equal(r.json().url, '/new/page?x=1')
  await sleep(200)
  const shadow = mesh.backends.find(b => b.name === 'shadow-0')!
  assert.equal(shadow.hits, 1, 'mirrored once')
})

test('a backendRef RequestRedirect answers for its backend', async () => {
  const r = await get(`${url}/moved/here`, { host: 'api' })
  assert.equal(r.status, 308)
  assert.equal(r.headers.location, 'http://elsewhere.example/moved/here')
  assert.equal(mesh.backends.find(b => b.name === 'v1-0')!.hits, 1, 'the redirect did not reach the app')
})
