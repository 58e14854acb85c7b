// Headers a SecurityPolicy fills from JWT claims (claimToHeaders), on real sockets through real
// gateways: an app may trust such a header because the mesh fills it, so a client's own copy never
// reaches any app behind the listener, not even behind a route whose own SecurityPolicy (API keys)
// replaces the one that fills it, or a route with no policy at all.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { get } from './harness/http.js'
import { ISSUER, jwksText, testIssuer, type TestIssuer } from './harness/jwt.js'
import { docs, resource, service, workload } from './harness/fixtures.js'
import { hashApiKey } from '../gateway/security/api-keys.js'
import { freePort } from '../supervisor/free-port.js'

const KEY = 'ak_ci_robot'

const route = (name: string, gateway: string, path: string, backend: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name} }
spec:
  parentRefs: [{ name: ${gateway} }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: ${path} } }], backendRefs: [{ name: ${backend}, port: 80 }] }]
`
const gatewayOn = (name: string, port: number) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name} }
spec: { listeners: [{ name: http, port: ${port}, protocol: HTTP }] }
`
const jwt = `jwt: { providers: [{ name: idp, issuer: ${ISSUER}, jwks: { file: jwks.json }, claimToHeaders: [{ claim: sub, header: x-user }] }] }`

const config = (edgePort: number, sidePort: number) => docs(
  service('api'), workload('api'),
  // edge: the Gateway's policy fills x-user; the /robots route replaces it with API keys.
  gatewayOn('edge', edgePort),
  route('edge-api', 'edge', '/', 'api'),
  route('edge-robots', 'edge', '/robots', 'api'),
  resource('SecurityPolicy', 'edge-jwt', `{ targetRef: { kind: Gateway, name: edge }, ${jwt} }`),
  resource('SecurityPolicy', 'robots-keys', '{ targetRef: { kind: HTTPRoute, name: edge-robots }, apiKey: { keysFile: keys.yaml } }'),
  // side: no Gateway policy; only the /me route has one, which fills x-user; /open has none.
  gatewayOn('side', sidePort),
  route('side-me', 'side', '/me', 'api'),
  route('side-open', 'side', '/open', 'api'),
  resource('SecurityPolicy', 'me-jwt', `{ targetRef: { kind: HTTPRoute, name: side-me }, ${jwt} }`),
)

const mesh = new TestMesh()
let idp: TestIssuer
let api: Backend
let edgePort = 0, sidePort = 0

before(async () => {
  idp = await testIssuer('idp-1')
  await mesh.start()
  writeFileSync(join(mesh.stateDir, 'jwks.json'), jwksText(idp))
  writeFileSync(join(mesh.stateDir, 'keys.yaml'), `keys:\n  - { name: robot, sha256: ${hashApiKey(KEY)} }\n`)
  edgePort = await freePort()
  sidePort = await freePort()
  await mesh.apply(config(edgePort, sidePort))
  api = (await mesh.replica('api', 0)).backend
  await Promise.all([mesh.gateway('edge'), mesh.gateway('side')])
  await mesh.settled()
})
after(() => mesh.stop())

const seen = (r: { json: () => any }) => r.json().headers as Record<string, string | undefined>

test('a route whose own SecurityPolicy replaces the Gateway\'s does not pass on a client\'s copy of a claim header', async () => {
  const r = await get(`http://127.0.0.1:${edgePort}/robots/run`, { 'x-api-key': KEY, 'x-user': 'admin' })
  assert.equal(r.status, 200, r.body)
  assert.equal(seen(r)['x-trellis-consumer'], 'robot')
  assert.equal(seen(r)['x-user'], undefined, 'x-user is filled from claims on this listener; the client\'s copy is dropped')
  const mine = await get(`http://127.0.0.1:${edgePort}/items`, { authorization: `Bearer ${await idp.sign({ sub: 'alice' })}`, 'x-user': 'admin' })
  assert.equal(mine.status, 200, mine.body)
  assert.equal(seen(mine)['x-user'], 'alice', 'where the policy fills it, from the verified token')
})

test('a route with no SecurityPolicy does not pass on a client\'s copy of a header another route\'s policy fills', async () => {
  const open = await get(`http://127.0.0.1:${sidePort}/open/x`, { 'x-user': 'admin' })
  assert.equal(open.status, 200, open.body)
  assert.equal(seen(open)['x-user'], undefined)
  const me = await get(`http://127.0.0.1:${sidePort}/me`, { authorization: `Bearer ${await idp.sign({ sub: 'bob' })}`, 'x-user': 'admin' })
  assert.equal(me.status, 200, me.body)
  assert.equal(seen(me)['x-user'], 'bob')
})

test('WebSocket upgrades lose client copies of claim headers the same way', async () => {
  const upgraded = new Promise<Record<string, string | string[] | undefined>>(resolve => {
    api.server.once('upgrade', (req, socket) => {
      resolve(req.headers)
      socket.end('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n')
    })
  })
  const answer = await new Promise<string>(resolve => {
    let got = ''
    const s = connect(sidePort, '127.0.0.1', () => s.write('GET /open/ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n' +
      'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nx-user: admin\r\n\r\n'))
    s.on('data', c => { got += c; if (got.includes('\r\n\r\n')) s.destroy() })
    s.on('close', () => resolve(got))
    s.on('error', () => resolve(got))
  })
  assert.match(answer, /^HTTP\/1\.1 101 /)
  assert.equal((await upgraded)['x-user'], undefined)
})
