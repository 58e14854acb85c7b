// `trellis tap --gateway NAME` shows every request a Gateway serves: the ones it forwards, with the
// Service of the backend it picked, and the ones it answers itself, including the requests no tap
// of a Service can show (no route). Only while the tap runs; a tap of a Service does not turn it on.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { GatewayProxy } from '../gateway/gateway-proxy.js'
import { TestMesh } from './harness/mesh.js'
import { docs, gateway, resource, service, workload } from './harness/fixtures.js'
import { eventually, get } from './harness/http.js'
import { trellisAsync } from './harness/up-process.js'
import { freePort } from '../supervisor/free-port.js'

const CONFIG = (gwPort: number) => docs(
  service('api'), workload('api'), gateway('edge', gwPort),
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-items }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /items } }, { path: { type: PathPrefix, value: /admin } }], backendRefs: [{ name: api, port: 80 }] }]
`,
  resource('AuthorizationPolicy', 'edge-admin', '{ targetRef: { kind: Gateway, name: edge }, action: DENY, rules: [{ to: [{ paths: [/admin/*] }] }] }'),
)

const mesh = new TestMesh()
let gw = ''
let edge: GatewayProxy

before(async () => {
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(CONFIG(gwPort))
  await mesh.replica('api', 0)
  edge = await mesh.gateway('edge')
  await mesh.settled()
  gw = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

const cli = (...args: string[]) => trellisAsync(process.cwd(), ...args, '--control-plane', mesh.url, '--state', mesh.stateDir)

async function tapOff(): Promise<void> {
  await eventually('the gateway stops tapping', async () => mesh.cp.taps.active === 0 && !edge.tap.active && !edge.tap.answering)
}

test('without a tap the Gateway makes no summary; a tap of a Service does not tap the whole Gateway', async () => {
  assert.equal((await get(`${gw}/items/1`)).status, 200)
  assert.equal((await get(`${gw}/nowhere`)).status, 404)
  assert.equal(edge.tap.made, 0)
  const tap = cli('tap', 'api', '--duration', '2s', '-o', 'json')
  await eventually('the service tap reaches the gateway', async () => edge.tap.answering)
  assert.equal(edge.tap.active, false)
  assert.equal((await get(`${gw}/nowhere`)).status, 404)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  assert.equal(res.stdout.trim(), '', 'a request with no route is for no Service: not in a Service tap')
  await tapOff()
})

test('tap --gateway shows forwarded requests and the ones the Gateway answers itself, no route included', async () => {
  const tap = cli('tap', '--gateway', 'edge', '--max', '3', '--duration', '30s', '-o', 'json')
  await eventually('the tap reaches the gateway', async () => edge.tap.active)
  const ok = await get(`${gw}/items/7?secret=1`)
  assert.equal(ok.status, 200)
  const noRoute = await get(`${gw}/nowhere`)
  assert.equal(noRoute.status, 404)
  assert.equal(noRoute.headers['x-trellis-reason'], 'no_route')
  assert.equal((await get(`${gw}/admin/users`)).status, 403)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stderr, /^tapping gateway default\/edge: gateway:default\/edge$/m)
  assert.match(res.stderr, /^tap ended \(max\): 3 requests$/m)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
  const byPath = new Map(lines.map(l => [l.path, l]))
  assert.deepEqual([...byPath.keys()].sort(), ['/admin/users', '/items/7', '/nowhere'], 'paths come without their query')

  const fwd = byPath.get('/items/7')
  assert.equal(fwd.status, 200)
  assert.equal(fwd.reason, null, 'the app answered')
  assert.deepEqual(fwd.destination, { service: 'default/api', instance: null, identity: null })
  assert.deepEqual(fwd.source, { identity: null, address: '127.0.0.1' })
  assert.equal(fwd.route, 'default/edge-items')
  assert.equal(fwd.proxy, 'gateway:default/edge')

  const none = byPath.get('/nowhere')
  assert.equal(none.status, 404)
  assert.equal(none.reason, 'no_route')
  assert.deepEqual(none.destination, { service: null, instance: null, identity: null })
  assert.equal(none.route, null)

  const denied = byPath.get('/admin/users')
  assert.equal(denied.status, 403)
  assert.equal(denied.reason, 'denied')
  assert.equal(denied.route, 'default/edge-items')
  await tapOff()
})

/** Sends raw bytes and returns what comes back before the server closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes))
    let got = ''
    s.setEncoding('latin1')
    s.on('data', d => { got += d })
    s.on('close', () => resolve(got))
    s.on('error', reject)
    s.setTimeout(10_000, () => s.destroy(new Error('no answer')))
  })
}

test('tap --gateway shows heads the HTTP parser refuses, with no method or path', async () => {
  const tap = cli('tap', '--gateway', 'edge', '--max', '2', '--duration', '30s', '-o', 'json')
  await eventually('the tap reaches the gateway', async () => edge.tap.active)
  const port = Number(new URL(gw).port)
  assert.match(await raw(port, 'GET /items/1 HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'), /^HTTP\/1\.1 400 /)
  assert.match(await raw(port, `GET /items/1 HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`), /^HTTP\/1\.1 431 /)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l)).sort((a, b) => a.status - b.status)
  assert.deepEqual(lines.map(l => [l.status, l.reason, l.method, l.path]), [[400, 'bad_request', '', ''], [431, 'too_large', '', '']])
  assert.deepEqual(lines[0].source, { identity: null, address: '127.0.0.1' })
  assert.deepEqual(lines[0].destination, { service: null, instance: null, identity: null })
  await tapOff()
})

test('the table names the client, the Service and the reason; a Gateway not in the config is refused', async () => {
  const tap = cli('tap', '--gateway', 'edge', '--max', '1', '--duration', '30s')
  await eventually('the tap reaches the gateway', async () => edge.tap.active)
  assert.equal((await get(`${gw}/nowhere/at/all`)).status, 404)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stdout.trim(), /^[\d:.TZ-]+ {2}GET {2}\/nowhere\/at\/all {2}404 {2}[\d.]+ms {2}src=127\.0\.0\.1 {2}dst=- {2}route=- {2}reason=no_route$/)
  await tapOff()

  const missing = await cli('tap', '--gateway', 'nope', '--max', '1')
  assert.notEqual(missing.status, 0)
  assert.match(missing.stderr, /Gateway "nope" not found; known: default\/edge/)
  const both = await cli('tap', 'api', '--gateway', 'edge')
  assert.notEqual(both.status, 0)
  assert.match(both.stderr, /one of the two/)
})
