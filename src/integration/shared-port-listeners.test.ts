// Listeners of one Gateway sharing a port (same protocol, different hostnames) on real sockets: each
// request is judged by the policies of the listener its Host selects, never by a sibling's. A
// `sectionName` policy covers that listener only, as the Gateway API and Envoy Gateway have it.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as h2connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import { makeCert } from './harness/certs.js'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { get } from './harness/http.js'
import { docs, httpRoute, resource, service, workload } from './harness/fixtures.js'
import { hashApiKey } from '../gateway/security/api-keys.js'
import { freePort } from '../supervisor/free-port.js'

const KEYS = { alice: 'ak_alice_0123456789abcdef', bob: 'ak_bob_fedcba9876543210' }

// `internal` (any host) sorts before `open` (www.example.com) and `staff` (*.staff.example.com).
const config = (port: number, tlsPort: number, tlsApp: number) => docs(
  service('api'), workload('api'), service('secret'), workload('secret'),
  service('vault', { spec: `protocol: tcp, endpoints: [{ address: "127.0.0.1:${tlsApp}" }]` }),
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
    - { name: internal, port: ${port}, protocol: HTTP }
    - { name: open, port: ${port}, protocol: HTTP, hostname: www.example.com }
    - { name: staff, port: ${port}, protocol: HTTP, hostname: "*.staff.example.com" }
    - { name: pub, port: ${tlsPort}, protocol: TLS, hostname: pub.example.com, tls: { mode: Passthrough } }
    - { name: vault, port: ${tlsPort}, protocol: TLS, hostname: vault.example.com, tls: { mode: Passthrough } }
`,
  `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: passthrough }
spec:
  parentRefs: [{ name: edge, sectionName: pub }, { name: edge, sectionName: vault }]
  rules: [{ backendRefs: [{ name: vault, port: 80 }] }]
`,
  resource('AuthorizationPolicy', 'pub-all', '{ targetRef: { kind: Gateway, name: edge, sectionName: pub }, action: ALLOW, rules: [{}] }'),
  resource('AuthorizationPolicy', 'vault-members', '{ targetRef: { kind: Gateway, name: edge, sectionName: vault }, action: ALLOW, rules: [{ from: [{ identities: ["gateway:member"] }] }] }'),
  httpRoute('edge-api', ['edge'], 'api'),
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: internal-api }
spec:
  parentRefs: [{ name: edge, sectionName: internal }]
  hostnames: [www.example.com]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /internal } }], backendRefs: [{ name: secret, port: 80 }] }]
`,
  resource('SecurityPolicy', 'internal-keys', '{ targetRef: { kind: Gateway, name: edge, sectionName: internal }, apiKey: { keysFile: keys.yaml } }'),
  resource('SecurityPolicy', 'open-cors', '{ targetRef: { kind: Gateway, name: edge, sectionName: open }, cors: { allowOrigins: ["*"] } }'),
  resource('SecurityPolicy', 'staff-keys', '{ targetRef: { kind: Gateway, name: edge, sectionName: staff }, apiKey: { keysFile: keys.yaml } }'),
  resource('AuthorizationPolicy', 'open-all', '{ targetRef: { kind: Gateway, name: edge, sectionName: open }, action: ALLOW, rules: [{}] }'),
  resource('AuthorizationPolicy', 'staff-alice', '{ targetRef: { kind: Gateway, name: edge, sectionName: staff }, action: ALLOW, rules: [{ from: [{ identities: ["gateway:alice"] }] }] }'),
  resource('RateLimitPolicy', 'staff-limit', '{ targetRef: { kind: Gateway, name: edge, sectionName: staff }, limits: [{ key: ip, requests: 3, per: 1m }] }'),
)

const mesh = new TestMesh()
let api: Backend, secret: Backend
let base = '', tlsPort = 0
let tlsServer: TlsServer

before(async () => {
  const port = await freePort()
  tlsPort = await freePort()
  const cert = makeCert(mesh.stateDir, 'passthrough', 'pub.example.com', ['pub.example.com', 'vault.example.com'])
  tlsServer = createTlsServer({ cert: cert.cert, key: cert.key }, s => { s.on('data', d => s.write(`tls:${d}`)); s.on('error', () => s.destroy()) })
  await new Promise<void>(r => tlsServer.listen(0, '127.0.0.1', () => r()))
  await mesh.start()
  writeFileSync(join(mesh.stateDir, 'keys.yaml'),
    `keys:\n  - { name: alice, sha256: ${hashApiKey(KEYS.alice)} }\n  - { name: bob, sha256: ${hashApiKey(KEYS.bob)} }\n`)
  await mesh.apply(config(port, tlsPort, (tlsServer.address() as AddressInfo).port))
  api = (await mesh.replica('api', 0)).backend
  secret = (await mesh.replica('secret', 0)).backend
  await mesh.gateway('edge')
  await mesh.settled()
  base = `http://127.0.0.1:${port}`
})
after(async () => { await mesh.stop(); tlsServer.close() })

test('the staff listener\'s SecurityPolicy holds though other listeners sort first on the port', async () => {
  const hits = api.hits
  for (const host of ['hr.staff.example.com', 'HR.Staff.Example.com.', 'hr.staff.example.com:8080']) {
    const r = await get(`${base}/payroll`, { host })
    assert.equal(r.status, 401, `${host}: ${r.status} ${r.body}`)
    assert.equal(r.headers['x-trellis-reason'], 'unauthenticated')
  }
  assert.equal(api.hits, hits, 'no unauthenticated request reached the app')
  const alice = await get(`${base}/payroll`, { host: 'hr.staff.example.com', 'x-api-key': KEYS.alice })
  assert.equal(alice.status, 200, alice.body)
  assert.equal(alice.json().headers['x-trellis-consumer'], 'alice')
  // The open listener keeps its own policy: CORS only, no credential asked for.
  const open = await get(`${base}/home`, { host: 'www.example.com', origin: 'https://any.test' })
  assert.equal(open.status, 200, open.body)
  assert.equal(open.headers['access-control-allow-origin'], '*')
})

test('the open listener\'s ALLOW policy does not open the staff listener', async () => {
  const bob = await get(`${base}/payroll`, { host: 'hr.staff.example.com', 'x-api-key': KEYS.bob })
  assert.equal(bob.status, 403, bob.body)
  assert.equal(bob.headers['x-trellis-reason'], 'denied')
  assert.equal((await get(`${base}/home`, { host: 'www.example.com' })).status, 200, 'the staff ALLOW policy does not close the open listener')
})

test('a request is routed only by the routes of the listener its Host selects', async () => {
  // www.example.com belongs to the `open` listener: the `internal` listener's route for that name
  // (and its API key policy) is not consulted, as with Gateway API listener isolation.
  const hits = secret.hits
  const r = await get(`${base}/internal/report`, { host: 'www.example.com' })
  assert.equal(r.status, 200, r.body)
  assert.equal(r.json().name, 'api-0')
  assert.equal(secret.hits, hits, 'the internal listener\'s backend was not reached with the open listener\'s policy')
  // Any other name is the `internal` listener's, with its own policy.
  assert.equal((await get(`${base}/internal/report`, { host: 'intranet.test' })).status, 401)
  assert.equal((await get(`${base}/internal/report`, { host: 'intranet.test', 'x-api-key': KEYS.alice })).json().name, 'api-0')
})

test('HTTP/2 requests pick the listener by :authority too', async () => {
  const session = h2connect(base)
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const s = session.request({ ':path': '/payroll', ':authority': 'hr.staff.example.com' })
      let st = 0
      s.on('response', h => { st = Number(h[':status']) })
      s.on('end', () => resolve(st)).on('error', reject).resume()
    })
    assert.equal(status, 401)
  } finally { session.close() }
})

test('the staff listener\'s rate limit counts only its own requests', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await get(`${base}/home`, { host: 'www.example.com' })).status, 200, `open request ${i}`)
  const staff = { host: 'a.staff.example.com', 'x-api-key': KEYS.alice }
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await get(`${base}/payroll`, staff)).status)
  assert.equal(statuses.filter(s => s === 429).length > 0, true, `staff requests: ${statuses.join(',')}`)
})

test('TLS listeners sharing a port: a connection is judged by the listener its SNI name selects', async () => {
  const talk = (servername: string) => new Promise<string>(resolve => {
    let got = ''
    const s = tlsConnect({ port: tlsPort, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => s.write('ping'))
    s.setEncoding('utf8')
    s.on('data', (d: string) => { got += d; if (got.length >= 8) s.end() })
    s.on('error', () => {})
    s.on('close', () => resolve(got))
    s.setTimeout(5000, () => s.destroy())
  })
  assert.equal(await talk('pub.example.com'), 'tls:ping')
  assert.equal(await talk('vault.example.com'), '', 'the pub listener\'s ALLOW policy does not open the vault listener')
})
