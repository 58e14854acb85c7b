// `trellis tap` of a request its verified JWT claims move to another route (claim-based routing):
// the tap of the Gateway and the taps of the Services show the route the request went to, as the
// audit log does, not the route first matched without the claim.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { GatewayProxy } from '../gateway/gateway-proxy.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, get } from './harness/http.js'
import { ISSUER, jwksText, testIssuer, type TestIssuer } from './harness/jwt.js'
import { docs, gateway, resource, service, workload } from './harness/fixtures.js'
import { trellisAsync } from './harness/up-process.js'
import { freePort } from '../supervisor/free-port.js'

const config = (port: number) => docs(
  service('api'), workload('api'), service('vip'), workload('vip'), gateway('edge', port),
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
  resource('SecurityPolicy', 'edge-auth', `
  targetRef: { kind: Gateway, name: edge }
  jwt:
    providers: [{ name: idp, issuer: ${ISSUER}, jwks: { file: jwks.json }, claimToHeaders: [{ claim: tier, header: x-tier }] }]
`),
  // The vip route refuses /closed/*: the Gateway answers those itself, for the vip Service.
  resource('AuthorizationPolicy', 'vip-closed', '{ targetRef: { kind: HTTPRoute, name: edge-vip }, action: DENY, rules: [{ to: [{ paths: [/closed/*] }] }] }'),
)

const mesh = new TestMesh()
let idp: TestIssuer
let edge: GatewayProxy
let base = ''

before(async () => {
  idp = await testIssuer('idp-1')
  await mesh.start()
  writeFileSync(join(mesh.stateDir, 'jwks.json'), jwksText(idp))
  const port = await freePort()
  await mesh.apply(config(port))
  await Promise.all([mesh.replica('api', 0), mesh.replica('vip', 0)])
  edge = await mesh.gateway('edge')
  await mesh.settled()
  base = `http://127.0.0.1:${port}`
})
after(() => mesh.stop())

const cli = (...args: string[]) => trellisAsync(process.cwd(), ...args, '--control-plane', mesh.url, '--state', mesh.stateDir)
const gold = async () => ({ authorization: `Bearer ${await idp.sign({ sub: 'alice', tier: 'gold' })}` })

async function tapOff(): Promise<void> {
  await eventually('the gateway stops tapping', async () => mesh.cp.taps.active === 0 && !edge.tap.active && !edge.tap.answering)
}

test('tap --gateway shows the route the verified claims moved the request to', async () => {
  const tap = cli('tap', '--gateway', 'edge', '--max', '2', '--duration', '30s', '-o', 'json')
  await eventually('the tap reaches the gateway', async () => edge.tap.active)
  const served = await get(`${base}/items/1`, await gold())
  assert.equal(served.status, 200, served.body)
  assert.equal(served.headers['x-backend'], 'vip-0')
  const denied = await get(`${base}/closed/1`, await gold())
  assert.equal(denied.status, 403, denied.body)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l)).sort((a, b) => a.status - b.status)
  assert.deepEqual(lines.map(l => [l.path, l.status, l.route, l.destination.service]), [
    ['/items/1', 200, 'default/edge-vip', 'default/vip'],
    ['/closed/1', 403, 'default/edge-vip', null],
  ])
  await tapOff()
})

test('a tap of the Service the claims moved the request to shows the Gateway\'s own answer for it', async () => {
  const tap = cli('tap', 'vip', '--max', '1', '--duration', '30s', '-o', 'json')
  await eventually('the tap reaches the gateway', async () => edge.tap.answering)
  const denied = await get(`${base}/closed/2`, await gold())
  assert.equal(denied.status, 403, denied.body)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
  assert.deepEqual(lines.map(l => [l.path, l.status, l.reason, l.route]), [['/closed/2', 403, 'denied', 'default/edge-vip']])
  await tapOff()
})

test('trellis stat counts such a request for the route it went to', async () => {
  const r = await get(`${base}/stat-${Date.now()}`, await gold())
  assert.equal(r.headers['x-backend'], 'vip-0')
  const routes = await eventually('the gateway reports its routes', async () => {
    const res = await get(`${mesh.url}/api/v1/stats/vip?window=1m`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })
    const rows = JSON.parse(res.body).routes as { route: string; requests: number }[] | undefined
    return rows !== undefined && rows.length > 0 ? rows : null
  })
  assert.deepEqual(routes.map(row => row.route), ['default/edge-vip'])
  const api = JSON.parse((await get(`${mesh.url}/api/v1/stats/api?window=1m`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })).body)
  assert.deepEqual((api.routes ?? []).map((row: { route: string }) => row.route), [], 'nothing went to the api route')
})
