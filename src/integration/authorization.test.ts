// AuthorizationPolicy on real sockets: on a Service (judged at its sidecar with the identity mTLS
// proved), on a Gateway (its callers are `anonymous` until consumers authenticate), on a mesh route
// (judged in the caller's own sidecar), and on a TCP Service (whole connections).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { get } from './harness/http.js'
import { docs, gateway, httpRoute, resource, service, workload } from './harness/fixtures.js'
import { freePort } from '../supervisor/free-port.js'

const config = (gwPort: number) => docs(
  service('api'), service('raw', { spec: 'protocol: tcp' }), workload('api'), workload('raw'),
  workload('web', { upstreams: ['api', 'raw'] }), workload('stranger', { upstreams: ['api', 'raw'] }),
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-mesh }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /reports } }]
      backendRefs: [{ name: api, port: 80 }]
    - backendRefs: [{ name: api, port: 80 }]
`,
  gateway('edge', gwPort), httpRoute('edge-api', ['edge'], 'api'),
  resource('AuthorizationPolicy', 'api-callers', `
  targetRef: { kind: Service, name: api }
  action: ALLOW
  rules:
    - from: [{ identities: [web] }]
      to: [{ methods: [GET], paths: [/items, /public/*] }]
    - from: [{ identities: [gateway] }]`),
  resource('AuthorizationPolicy', 'api-secrets', '{ targetRef: { kind: Service, name: api }, action: DENY, rules: [{ to: [{ paths: [/public/secret] }] }] }'),
  resource('AuthorizationPolicy', 'edge-admin', '{ targetRef: { kind: Gateway, name: edge }, action: DENY, rules: [{ to: [{ paths: [/admin/*] }] }] }'),
  resource('AuthorizationPolicy', 'edge-internal', '{ targetRef: { kind: Gateway, name: edge }, action: DENY, rules: [{ to: [{ paths: [/internal*] }] }] }'),
  resource('AuthorizationPolicy', 'reports-route', `
  targetRef: { kind: HTTPRoute, name: api-mesh }
  action: DENY
  rules: [{ from: [{ identities: [web] }], to: [{ paths: [/reports/*] }] }]`),
  resource('AuthorizationPolicy', 'raw-callers', '{ targetRef: { kind: Service, name: raw }, rules: [{ from: [{ identities: [web] }] }] }'),
)

const mesh = new TestMesh()
let webApi = '', strangerApi = '', gw = '', webRaw = 0, strangerRaw = 0
let api: Backend

before(async () => {
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(config(gwPort))
  const web = (await mesh.replica('web', 0)).sidecar
  const stranger = (await mesh.replica('stranger', 0)).sidecar
  api = (await mesh.replica('api', 0)).backend
  await mesh.replica('raw', 0)
  await mesh.gateway('edge')
  await mesh.settled()
  webApi = `http://127.0.0.1:${web.outboundPort('default/api')}`
  strangerApi = `http://127.0.0.1:${stranger.outboundPort('default/api')}`
  webRaw = web.outboundPort('default/raw')
  strangerRaw = stranger.outboundPort('default/raw')
  gw = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

async function denied(url: string, method = 'GET'): Promise<string> {
  const hits = api.hits
  const r = await get(url, {}, method)
  assert.equal(r.status, 403, `${method} ${url}: ${r.status} ${r.body}`)
  assert.equal(r.headers['x-trellis-reason'], 'denied')
  assert.equal(api.hits, hits, 'a denied request never reaches the app')
  return r.body
}

test('a Service\'s ALLOW policy lets in only the identities, methods and paths it names', async () => {
  for (const path of ['/items', '/ITEMS/', '/public/a/b']) assert.equal((await get(`${webApi}${path}`)).status, 200, path)
  await denied(`${webApi}/items`, 'POST')
  await denied(`${webApi}/private`)
  await denied(`${strangerApi}/items`)
})

test('DENY wins over ALLOW, whoever calls', async () => {
  await denied(`${webApi}/public/secret`)
  await denied(`${gw}/public/secret`)
  assert.equal((await get(`${gw}/anything`)).status, 200, 'the gateway is allowed any request')
})

test('a Gateway\'s policy is checked at the gateway, before routing', async () => {
  await denied(`${gw}/admin/users`)
  assert.equal((await get(`${gw}/administrator`)).status, 200)
})

test('a path ending in * without a slash is a prefix, as in Istio: /internal* covers /internal, /internal/x, /internals', async () => {
  for (const path of ['/internal', '/internal/', '/INTERNAL/x', '/internals/config', '/internal-api']) await denied(`${gw}${path}`)
  assert.equal((await get(`${gw}/intern`)).status, 200)
  // A `*` anywhere else would be compared literally, a rule that never matches: refused.
  await assert.rejects(mesh.apply(resource('AuthorizationPolicy', 'inner-star',
    '{ targetRef: { kind: Gateway, name: edge }, action: DENY, rules: [{ to: [{ paths: ["/api/*/secret"] }] }] }')), /paths\[0\]/)
})

test('a mesh route\'s policy is checked in the caller\'s own sidecar', async () => {
  assert.match(await denied(`${webApi}/reports/q3`), /denied by AuthorizationPolicy default\/reports-route/)
  // A caller the route policy does not name passes it, and is then judged by the Service's policy at the server.
  assert.match(await denied(`${strangerApi}/reports/q3`), /not allowed by AuthorizationPolicy default\/api-callers/)
})

test('a TCP Service\'s policy closes connections from callers it does not allow', async () => {
  const roundTrip = (port: number) => new Promise<string>(resolve => {
    let got = ''
    const s = connect({ host: '127.0.0.1', port }, () => s.write('GET /tcp HTTP/1.1\r\nhost: raw\r\nconnection: close\r\n\r\n'))
    s.on('data', c => { got += c.toString() })
    s.on('error', () => {})
    s.on('close', () => resolve(got))
    s.setTimeout(5000, () => s.destroy())
  })
  assert.match(await roundTrip(webRaw), /^HTTP\/1\.1 200/)
  assert.equal(await roundTrip(strangerRaw), '')
})
