// Routes that match on a header a SecurityPolicy fills from a JWT claim (claimToHeaders), on real
// sockets through a real gateway: a client-sent copy of that header never picks the route, and the
// verified claim does, as Envoy Gateway users route on claims.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, get, type Reply } from './harness/http.js'
import { ISSUER, jwksText, testIssuer, type TestIssuer } from './harness/jwt.js'
import { docs, resource, service, workload } from './harness/fixtures.js'
import { freePort } from '../supervisor/free-port.js'

const config = (port: number) => docs(
  service('api'), workload('api'), service('vip'), workload('vip'), service('ops'), workload('ops'),
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec: { listeners: [{ name: http, port: ${port}, protocol: HTTP }] }
`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-api }
spec: { parentRefs: [{ name: edge }], rules: [{ backendRefs: [{ name: api, port: 80 }] }] }
`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-vip }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ matches: [{ headers: [{ name: x-tier, value: gold }] }], backendRefs: [{ name: vip, port: 80 }] }]
`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-ops }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ matches: [{ headers: [{ name: x-tier, value: ops }] }], backendRefs: [{ name: ops, port: 80 }] }]
`,
  resource('SecurityPolicy', 'edge-auth', `
  targetRef: { kind: Gateway, name: edge }
  jwt:
    providers: [{ name: idp, issuer: ${ISSUER}, jwks: { file: jwks.json }, claimToHeaders: [{ claim: tier, header: x-tier }] }]
  audit: { file: audit.log }
`),
  // The ops route has a policy of its own: API keys only, without that claim.
  resource('SecurityPolicy', 'ops-keys', '{ targetRef: { kind: HTTPRoute, name: edge-ops }, apiKey: { keysFile: keys.yaml } }'),
)

const mesh = new TestMesh()
let api: Backend, vip: Backend, ops: Backend
let idp: TestIssuer
let base = '', port = 0
const upgrades = { api: 0, vip: 0 }

before(async () => {
  idp = await testIssuer('idp-1')
  await mesh.start()
  writeFileSync(join(mesh.stateDir, 'jwks.json'), jwksText(idp))
  writeFileSync(join(mesh.stateDir, 'keys.yaml'), 'keys: []\n')
  port = await freePort()
  await mesh.apply(config(port))
  ;[api, vip, ops] = await Promise.all(['api', 'vip', 'ops'].map(async w => (await mesh.replica(w, 0)).backend))
  for (const [name, b] of [['api', api], ['vip', vip]] as const) {
    b.server.on('upgrade', (_req, socket) => { upgrades[name]++; socket.end('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n') })
  }
  await mesh.gateway('edge')
  await mesh.settled()
  base = `http://127.0.0.1:${port}`
})
after(() => mesh.stop())

const as = async (tier: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${await idp.sign({ sub: 'alice', tier })}`, ...extra })
const backendOf = (r: Reply) => r.headers['x-backend']

test('a client-sent copy of a claim header does not pick the route that matches on it', async () => {
  const hits = vip.hits
  const r = await get(`${base}/items`, await as('silver', { 'x-tier': 'gold' }))
  assert.equal(r.status, 200, r.body)
  assert.equal(backendOf(r), 'api-0', 'routed as the verified claim says, not as the client said')
  assert.equal(r.json().headers['x-tier'], 'silver')
  assert.equal(vip.hits, hits)
})

test('the verified claim picks the route that matches on its header, and the audit log names that route', async () => {
  const r = await get(`${base}/gold-${Date.now()}`, await as('gold'))
  assert.equal(r.status, 200, r.body)
  assert.equal(backendOf(r), 'vip-0')
  assert.equal(r.json().headers['x-tier'], 'gold')
  const path = r.json().url
  const line = await eventually('the audit line', async () =>
    readFileSync(join(mesh.stateDir, 'audit.log'), 'utf8').trimEnd().split('\n').map(l => JSON.parse(l)).find(l => l.path === path))
  assert.equal(line.route, 'default/edge-vip')
})

test('a claim never moves a request to a route judged by another SecurityPolicy', async () => {
  const hits = ops.hits
  const r = await get(`${base}/items`, await as('ops'))
  assert.equal(r.status, 200, r.body)
  assert.equal(backendOf(r), 'api-0', 'edge-ops is judged by its own policy, which this request did not pass')
  const forged = await get(`${base}/items`, await as('silver', { 'x-tier': 'ops' }))
  assert.equal(forged.status, 200, forged.body)
  assert.equal(backendOf(forged), 'api-0')
  assert.equal(ops.hits, hits)
})

test('WebSocket upgrades are routed the same way', async () => {
  const upgrade = async (headers: Record<string, string>) => new Promise<string>(resolve => {
    let got = ''
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
    const s = connect(port, '127.0.0.1', () => s.write(`GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n${lines}\r\n`))
    s.on('data', c => { got += c; if (got.includes('\r\n\r\n')) s.destroy() })
    s.on('close', () => resolve(got))
    s.on('error', () => resolve(got))
  })
  const before = { ...upgrades }
  assert.match(await upgrade(await as('silver', { 'x-tier': 'gold' })), /^HTTP\/1\.1 101 /)
  assert.deepEqual(upgrades, { api: before.api + 1, vip: before.vip }, 'a forged claim header does not reach the vip backend')
  assert.match(await upgrade(await as('gold')), /^HTTP\/1\.1 101 /)
  assert.deepEqual(upgrades, { api: before.api + 1, vip: before.vip + 1 }, 'the verified claim does')
})
