// `trellis tap` shows the requests a caller answers itself, which never reach the tapped Service's
// sidecars: denied at a Gateway by AuthorizationPolicy, no route in a calling sidecar, no healthy
// endpoint. Each comes with its status and x-trellis-reason, from the proxy that answered it, only
// for a tap of the Service it was for, and only while a tap runs.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import type { GatewayProxy } from '../gateway/gateway-proxy.js'
import { TestMesh } from './harness/mesh.js'
import { docs, gateway, httpRoute, resource, service, workload } from './harness/fixtures.js'
import { eventually, get } from './harness/http.js'
import { API_ID, EDGE_ID, WEB_ID } from './harness/observe.js'
import { trellisAsync } from './harness/up-process.js'
import { freePort } from '../supervisor/free-port.js'

const GATEWAY_API = 'apiVersion: gateway.networking.k8s.io/v1'
const CONFIG = (gwPort: number) => docs(
  service('api'), workload('api'), service('idle'), workload('idle'), workload('web', { upstreams: ['api', 'idle'] }),
  `${GATEWAY_API}
kind: HTTPRoute
metadata: { name: api-mesh }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /items } }], backendRefs: [{ name: api, port: 80 }] }]
`,
  gateway('edge', gwPort), httpRoute('edge-api', ['edge'], 'api'),
  resource('AuthorizationPolicy', 'edge-admin', '{ targetRef: { kind: Gateway, name: edge }, action: DENY, rules: [{ to: [{ paths: [/admin/*] }] }] }'),
)

const mesh = new TestMesh()
let webApi = '', webIdle = '', gw = ''
let web: SidecarProxy, api: SidecarProxy, edge: GatewayProxy

before(async () => {
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(CONFIG(gwPort))
  web = (await mesh.replica('web', 0)).sidecar
  api = (await mesh.replica('api', 0)).sidecar
  edge = await mesh.gateway('edge')
  await mesh.settled()
  webApi = `http://127.0.0.1:${web.outboundPort('default/api')}`
  webIdle = `http://127.0.0.1:${web.outboundPort('default/idle')}`
  gw = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

const cli = (...args: string[]) => trellisAsync(process.cwd(), ...args, '--control-plane', mesh.url, '--state', mesh.stateDir)

async function tapOff(): Promise<void> {
  await eventually('every proxy stops tapping', async () => mesh.cp.taps.active === 0 && !web.tap.answering && !edge.tap.answering)
}

test('without a tap, callers make no summary of the requests they answer themselves', async () => {
  assert.equal((await get(`${gw}/admin/users`)).status, 403)
  assert.equal((await get(`${webApi}/other`)).status, 404)
  assert.equal((await get(`${webIdle}/x`)).status, 503)
  assert.equal(edge.tap.made + web.tap.made, 0)
})

test('tap shows a request denied at the Gateway and one with no route in the calling sidecar, with status and reason', async () => {
  const tap = cli('tap', 'api', '--max', '3', '-o', 'json')
  await eventually('the tap reaches the proxies', async () => api.tap.active && web.tap.answering && edge.tap.answering)
  const denied = await get(`${gw}/admin/users?token=secret`)
  assert.equal(denied.status, 403)
  assert.equal(denied.headers['x-trellis-reason'], 'denied')
  const noRoute = await get(`${webApi}/other`)
  assert.equal(noRoute.status, 404)
  assert.equal(noRoute.headers['x-trellis-reason'], 'no_route')
  assert.equal((await get(`${webIdle}/x`)).status, 503, 'another Service\'s answers are not in this tap')
  assert.equal((await get(`${webApi}/items/1`)).status, 200)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stderr, /^tap ended \(max\): 3 requests$/m)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
  const byPath = new Map(lines.map(l => [l.path, l]))
  assert.deepEqual([...byPath.keys()].sort(), ['/admin/users', '/items/1', '/other'])

  const d = byPath.get('/admin/users')
  assert.equal(d.status, 403)
  assert.equal(d.reason, 'denied')
  assert.equal(d.proxy, 'gateway:default/edge')
  assert.deepEqual(d.destination, { service: 'default/api', instance: null, identity: null })
  assert.deepEqual(d.source, { identity: EDGE_ID, address: '127.0.0.1' })
  assert.equal(d.route, 'default/edge-api')

  const n = byPath.get('/other')
  assert.equal(n.status, 404)
  assert.equal(n.reason, 'no_route')
  assert.equal(n.proxy, 'default/web/0')
  assert.deepEqual(n.destination, { service: 'default/api', instance: null, identity: null })
  assert.equal(n.source.identity, WEB_ID)
  assert.equal(n.route, null)

  const ok = byPath.get('/items/1')
  assert.equal(ok.status, 200)
  assert.equal(ok.reason, null, 'the app answered')
  assert.deepEqual(ok.destination, { service: 'default/api', instance: 'default/api/0', identity: API_ID })
  await tapOff()
})

test('tap of a Service without a healthy endpoint shows the 503s its callers answer; the table names the proxy and reason', async () => {
  const tap = cli('tap', 'idle', '--max', '1')
  await eventually('the tap reaches the caller', async () => web.tap.answering)
  assert.equal((await get(`${webApi}/other`)).status, 404, 'another Service\'s answers are not in this tap')
  assert.equal((await get(`${webIdle}/orders/7?secret=1`)).status, 503)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  assert.match(res.stderr, /^tapping default\/idle: no sidecar serves it yet$/m)
  assert.match(res.stdout.trim(), new RegExp(`^[\\d:.TZ-]+  GET  /orders/7  503  [\\d.]+ms  src=${WEB_ID}  dst=default/idle \\(answered by default/web/0\\)  route=-  reason=unavailable$`))
  await tapOff()
})

test('tap shows the requests a calling sidecar refuses before routing: a target too long (414), too many headers (431)', async () => {
  const tap = cli('tap', 'api', '--max', '2', '--duration', '30s', '-o', 'json')
  await eventually('the tap reaches the caller', async () => web.tap.answering)
  const long = `/items/${'x'.repeat(9000)}`                         // past the default maxUrlBytes (8192)
  const tooLong = await get(`${webApi}${long}?q=1`)
  assert.equal(tooLong.status, 414)
  assert.equal(tooLong.headers['x-trellis-reason'], 'too_large')
  const manyHeaders: Record<string, string> = {}
  for (let i = 0; i < 120; i++) manyHeaders[`x-h${i}`] = 'v'          // past the default maxRequestHeaders (100)
  const tooMany = await get(`${webApi}/items/2`, manyHeaders)
  assert.equal(tooMany.status, 431)
  const res = await tap
  assert.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
  const s414 = lines.find(l => l.status === 414)
  const s431 = lines.find(l => l.status === 431)
  assert.ok(s414 && s431, res.stdout.slice(0, 500))
  assert.equal(s414.reason, 'too_large')
  assert.equal(s414.path, `${long.slice(0, 256)}…`, 'a long target is cut short in the summary')
  assert.equal(s414.proxy, 'default/web/0')
  assert.deepEqual(s414.destination, { service: 'default/api', instance: null, identity: null })
  assert.equal(s431.reason, 'too_large')
  assert.equal(s431.path, '/items/2')
  await tapOff()
})
