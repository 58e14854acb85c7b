// `trellis stat` against known traffic: counts, success rate, rps, and the split by caller (two
// calling workloads and a gateway, told apart by the identity mTLS proved), by route (as the
// callers matched them) and by instance.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, sleep } from './harness/http.js'
import { BATCH_ID, EDGE_ID, OBSERVE_CONFIG, WEB_ID, adminGet, send } from './harness/observe.js'
import { trellisAsync } from './harness/up-process.js'
import { freePort } from '../supervisor/free-port.js'

const mesh = new TestMesh()
let web = '', batch = '', gw = ''
let apis: Backend[] = []

before(async () => {
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(OBSERVE_CONFIG(gwPort))
  const webSidecar = (await mesh.replica('web', 0)).sidecar
  const batchSidecar = (await mesh.replica('batch', 0)).sidecar
  apis = [(await mesh.replica('api', 0)).backend, (await mesh.replica('api', 1)).backend]
  await mesh.gateway('edge')
  await mesh.settled()
  web = `http://127.0.0.1:${webSidecar.outboundPort('default/api')}`
  batch = `http://127.0.0.1:${batchSidecar.outboundPort('default/api')}`
  gw = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

const WINDOW_MS = 5000

test('N requests with M 5xx: counts, success rate and rps per Service, caller, route and instance', async () => {
  // The window must not reach back before the control plane started, so rps = requests / window.
  await sleep(Math.max(0, WINDOW_MS - (Date.now() - mesh.cp.stats.startedAt)))
  const started = Date.now()
  assert.deepEqual(new Set(await send(web, 45)), new Set([200]))
  for (const a of apis) a.status = 500
  assert.deepEqual(new Set(await send(web, 15)), new Set([500]))
  for (const a of apis) a.status = 200
  await send(batch, 20)
  await send(gw, 10)
  const d = await eventually('every request reported', async () => {
    // Sidecars (the Service's rows) and callers (the route rows) report on their own clocks: wait for both.
    const r = await adminGet(mesh, '/api/v1/stats/api?window=5s')
    const routed = (r.body.routes ?? []).reduce((n: number, x: { requests: number }) => n + x.requests, 0)
    return r.body.service.requests === 90 && routed === 90 ? r.body : null
  })
  assert.ok(Date.now() - started < WINDOW_MS, 'the traffic and its reports fit in the window')
  assert.equal(d.windowMs, WINDOW_MS)
  assert.equal(d.service.source, 'inbound')
  assert.equal(d.service.successRate, Number((75 / 90).toFixed(4)))
  assert.equal(d.service.rps, 90 / 5)
  const { p50, p95, p99 } = d.service.latencyMs
  assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 < 1000, JSON.stringify(d.service.latencyMs))

  const caller = (id: string) => d.callers.find((c: { caller: string }) => c.caller === id)
  assert.deepEqual(d.callers.map((c: { caller: string }) => c.caller).sort(), [BATCH_ID, EDGE_ID, WEB_ID].sort())
  assert.equal(caller(WEB_ID).requests, 60)
  assert.equal(caller(WEB_ID).successRate, 0.75)
  assert.equal(caller(WEB_ID).rps, 12)
  assert.equal(caller(BATCH_ID).requests, 20)
  assert.equal(caller(BATCH_ID).successRate, 1)
  assert.equal(caller(EDGE_ID).requests, 10)

  const route = (name: string) => d.routes.find((r: { route: string }) => r.route === name)
  assert.equal(route('default/api-mesh').requests, 80)
  assert.equal(route('default/api-mesh').successRate, 0.8125)
  assert.equal(route('default/edge-api').requests, 10)

  assert.deepEqual(d.instances.map((i: { instance: string }) => i.instance), ['default/api/0', 'default/api/1'])
  assert.equal(d.instances.reduce((n: number, i: { requests: number }) => n + i.requests, 0), 90)
  assert.ok(d.instances.every((i: { requests: number }) => i.requests > 0), 'both replicas served')

  const overview = (await adminGet(mesh, '/api/v1/stats?window=5s')).body
  assert.equal(overview.items.find((s: { service: string }) => s.service === 'default/api').requests, 90)
})

test('latency quantiles follow the app\'s delay', async () => {
  await sleep(3200)                          // the earlier traffic leaves the 3 s window
  for (const a of apis) a.delayMs = 30
  await send(batch, 20)
  for (const a of apis) a.delayMs = 0
  const c = await eventually('slow requests reported', async () => {
    const r = await adminGet(mesh, '/api/v1/stats/api?window=3s')
    const batchRow = r.body.callers.find((x: { caller: string }) => x.caller === BATCH_ID)
    return batchRow?.requests === 20 ? batchRow : null
  }, 3000)
  assert.ok(c.latencyMs.p50 >= 25 && c.latencyMs.p50 <= 50, JSON.stringify(c.latencyMs))
  assert.ok(c.latencyMs.p99 >= 30 && c.latencyMs.p99 <= 100, JSON.stringify(c.latencyMs))
})

test('trellis stat prints the tables; bad input is refused', async () => {
  const args = ['--control-plane', mesh.url, '--state', mesh.stateDir]
  const all = await trellisAsync(process.cwd(), 'stat', '--window', '1m', ...args)
  assert.equal(all.status, 0, all.stderr)
  assert.match(all.stdout, /^SERVICE +RPS +SUCCESS +P50 +P95 +P99 +REQUESTS$/m)
  assert.match(all.stdout, /^api +[\d.]+ +\d+\.\d\d% +[\d.]+ms +[\d.]+ms +[\d.]+ms +1[01]\d$/m)
  const one = await trellisAsync(process.cwd(), 'stat', 'api', '--window', '1m', ...args)
  assert.equal(one.status, 0, one.stderr)
  assert.match(one.stdout, /^api: rps [\d.]+, success [\d.]+%/m)
  assert.match(one.stdout, /^api-mesh +[\d.]+ +[\d.]+% /m)
  assert.match(one.stdout, new RegExp(`^${WEB_ID} +[\\d.]+ +75\\.00% `, 'm'))
  assert.match(one.stdout, /^api\/1 +/m)
  const json = await trellisAsync(process.cwd(), 'stat', 'api', '-o', 'json', ...args)
  assert.equal(JSON.parse(json.stdout).service.service, 'default/api')
  const missing = await trellisAsync(process.cwd(), 'stat', 'nope', ...args)
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, /Service "nope" not found; known: default\/api/)
  const bad = await trellisAsync(process.cwd(), 'stat', '--window', '2h', ...args)
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /window "2h" must be a duration from 1s to 10m/)
  assert.equal((await adminGet({ url: mesh.url, cp: { creds: { adminToken: 'wrong' } } } as never, '/api/v1/stats')).status, 401)
})
