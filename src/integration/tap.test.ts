// `trellis tap` end to end in one process: the control plane relays the summaries of the sidecars
// serving a Service, with the caller's identity (mTLS), the instance, and the route the caller
// matched; the tap ends on --max, on --duration and when the client leaves, and is rate-capped.
// Without a tap, requests make no summaries and callers name no route.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import type { GatewayProxy } from '../gateway/gateway-proxy.js'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, get, sleep } from './harness/http.js'
import { API_ID, EDGE_ID, OBSERVE_CONFIG, WEB_ID, send } from './harness/observe.js'
import { trellisAsync } from './harness/up-process.js'
import { freePort } from '../supervisor/free-port.js'

const mesh = new TestMesh()
let web = '', gw = ''
let webSidecar: SidecarProxy, apiSidecars: SidecarProxy[], edge: GatewayProxy, apis: Backend[]

before(async () => {
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(OBSERVE_CONFIG(gwPort))
  webSidecar = (await mesh.replica('web', 0)).sidecar
  await mesh.replica('batch', 0)
  const a0 = await mesh.replica('api', 0), a1 = await mesh.replica('api', 1)
  apiSidecars = [a0.sidecar, a1.sidecar]
  apis = [a0.backend, a1.backend]
  edge = await mesh.gateway('edge')
  await mesh.settled()
  web = `http://127.0.0.1:${webSidecar.outboundPort('default/api')}`
  gw = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

const cli = (...args: string[]) => trellisAsync(process.cwd(), ...args, '--control-plane', mesh.url, '--state', mesh.stateDir)

/** Resolves once the tap reached every proxy taking part. */
async function tapRunning(): Promise<void> {
  await eventually('the tap reaches the proxies', async () =>
    apiSidecars.every(s => s.tap.active) && webSidecar.tap.tagging && edge.tap.tagging)
}

async function tapOff(): Promise<void> {
  await eventually('every proxy stops tapping', async () =>
    mesh.cp.taps.active === 0 && apiSidecars.every(s => !s.tap.active) && !webSidecar.tap.tagging && !edge.tap.tagging)
}

test('without a tap no summary is made and callers name no route', async () => {
  await send(web, 20)
  await send(gw, 5)
  assert.equal(apiSidecars[0].tap.made + apiSidecars[1].tap.made, 0)
  assert.equal(webSidecar.tap.tagging, false)
  assert.equal(edge.tap.tagging, false)
})

test('tap --max N streams the summaries of the requests sent, with identities and route, then ends', async () => {
  const tap = cli('tap', 'api', '--max', '6', '-o', 'json')
  await tapRunning()
  for (let i = 0; i < 4; i++) {
    const r = await get(`${web}/items/${i}?secret=s${i}`)
    assert.equal(r.json().headers['x-trellis-route'], undefined, 'the callee\'s sidecar keeps the route header from its app')
  }
  await send(gw, 2)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stderr, /^tapping default\/api: 2 sidecars \(default\/api\/0, default\/api\/1\)$/m)
  assert.match(res.stderr, /^tap ended \(max\): 6 requests$/m)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
  assert.equal(lines.length, 6)
  for (const l of lines) {
    assert.equal(l.method, 'GET')
    assert.match(l.path, /^\/items\/\d$/, 'the path, without its query string')
    assert.equal(l.status, 200)
    assert.ok(l.latencyMs > 0 && l.latencyMs < 1000)
    assert.ok(Math.abs(Date.parse(l.time) - Date.now()) < 30_000)
    assert.equal(l.destination.service, 'default/api')
    assert.match(l.destination.instance, /^default\/api\/[01]$/)
    assert.equal(l.destination.identity, API_ID)
    assert.equal(l.source.address, '127.0.0.1')
  }
  // Each sidecar sends its own batches, so the two replicas' summaries may interleave.
  const pairs = lines.map(l => `${l.source.identity} ${l.route}`).sort()
  assert.deepEqual(pairs, [...Array(2).fill(`${EDGE_ID} default/edge-api`), ...Array(4).fill(`${WEB_ID} default/api-mesh`)])
  await tapOff()
  const made = apiSidecars[0].tap.made + apiSidecars[1].tap.made
  await send(web, 10)
  assert.equal(apiSidecars[0].tap.made + apiSidecars[1].tap.made, made, 'no summaries once the tap ended')
})

test('the table output shows one line per request', async () => {
  const tap = cli('tap', 'api', '--max', '2')
  await tapRunning()
  for (const a of apis) a.status = 503
  await send(web, 2)
  for (const a of apis) a.status = 200
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trim().split('\n')
  assert.equal(lines.length, 2)
  for (const l of lines) {
    assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  GET  /items/\\d  503  [\\d.]+ms  src=${WEB_ID}  dst=default/api/[01] \\(${API_ID}\\)  route=default/api-mesh$`))
  }
  await tapOff()
})

test('--duration ends the tap; a rate cap drops and counts what is over it', async () => {
  const tap = cli('tap', 'api', '--duration', '1500ms', '--rate', '5', '-o', 'json')
  await tapRunning()
  await send(web, 60)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  const got = res.stdout.trim().split('\n').filter(Boolean).length
  const ended = /^tap ended \(duration\): (\d+) requests, (\d+) dropped$/m.exec(res.stderr)
  assert.ok(ended, res.stderr)
  assert.equal(Number(ended[1]), got)
  assert.ok(got >= 1 && got <= 20, `${got} summaries at 5/s for 1.5 s`)
  assert.ok(Number(ended[2]) > 0, 'the rest are counted as dropped')
  await tapOff()
})

test('the tap stops on every proxy when its client disconnects', async () => {
  const req = request(`${mesh.url}/api/v1/tap/api`, { headers: { authorization: `Bearer ${mesh.cp.creds.adminToken}` } })
  const lines: string[] = []
  req.on('response', res => res.setEncoding('utf8').on('data', (d: string) => lines.push(d)).on('error', () => {}))
  req.on('error', () => {})
  req.end()
  await tapRunning()
  await send(web, 3)
  await eventually('summaries arrive', async () => lines.join('').split('\n').filter(l => l.includes('"request"')).length === 3)
  req.destroy()
  await tapOff()
  await sleep(100)
  const made = apiSidecars[0].tap.made + apiSidecars[1].tap.made
  await send(web, 5)
  assert.equal(apiSidecars[0].tap.made + apiSidecars[1].tap.made, made)
})

test('a tap of an unknown Service, or without the admin token, is refused', async () => {
  const missing = await cli('tap', 'nope', '--max', '1')
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, /Service "nope" not found/)
  const res = await trellisAsync(process.cwd(), 'tap', 'api', '--control-plane', mesh.url)
  assert.equal(res.status, 1)
  assert.match(res.stderr, /admin token required/)
})

test('a route name an app sends itself never reaches a tap: only its proxy names the route', async () => {
  // Subscribed at the callees alone, as while a tap is starting and the callers do not tag yet.
  const events: { route: string | null }[] = []
  const stops = apiSidecars.map(s => s.tap.subscribe({ offer: e => events.push(e) }))
  try {
    assert.equal(webSidecar.tap.tagging, false)
    const r = await get(`${web}/forged`, { 'x-trellis-route': 'default/forged\u009b2J' })
    assert.equal(r.status, 200)
    await eventually('the callee summarized the request', async () => events.length >= 1)
    assert.equal(events[0].route, null)
  } finally {
    for (const stop of stops) stop()
  }
})
