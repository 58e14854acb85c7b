// RateLimitPolicy on real sockets: at a Gateway by client address and by header, on a Service by
// calling identity, on a mesh route in the caller's sidecar, buckets kept across config changes,
// and a limit shared by two gateways through a real Redis that falls back to local limits when
// Redis goes away.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startBackend, type Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, get } from './harness/http.js'
import { docs, gateway, httpRoute, resource, service, workload } from './harness/fixtures.js'
import { startRedis, type TestRedis } from './harness/redis.js'
import { openWebSocket } from './harness/websocket.js'
import { freePort } from '../supervisor/free-port.js'

const config = (p: { a: number; b: number; c: number; front: number }, redis: string, extra = '') => docs(
  service('api'), workload('api'), workload('web', { upstreams: ['api'] }), workload('batch', { upstreams: ['api'] }),
  // the gateways' backend, outside the mesh (no Service limit)
  resource('Service', 'front', `{ port: 80, endpoints: [{ address: "127.0.0.1:${p.front}" }] }`),
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-mesh }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /export } }]
      backendRefs: [{ name: api, port: 80 }]
    - backendRefs: [{ name: api, port: 80 }]
`,
  gateway('edge', p.a), gateway('shared-a', p.b), gateway('shared-b', p.c), httpRoute('edge-api', ['edge', 'shared-a', 'shared-b'], 'front'),
  resource('RateLimitPolicy', 'edge-ip', '{ targetRef: { kind: Gateway, name: edge }, limits: [{ key: ip, requests: 3, per: 1m }] }'),
  resource('RateLimitPolicy', 'shared', `
  targetRefs: [{ kind: Gateway, name: shared-a }, { kind: Gateway, name: shared-b }]
  limits: [{ key: header:x-user, requests: 5, per: 1h }]
  store: ${redis}`),
  resource('RateLimitPolicy', 'api-callers', '{ targetRef: { kind: Service, name: api }, limits: [{ key: consumer, requests: 4, per: 1h }] }'),
  resource('RateLimitPolicy', 'export', '{ targetRef: { kind: HTTPRoute, name: api-mesh }, limits: [{ key: header:x-job, requests: 1, per: 1h }] }'),
  ...(extra ? [extra] : []),
)

const mesh = new TestMesh()
let redis: TestRedis
let ports: { a: number; b: number; c: number; front: number }
let api: Backend, front: Backend, webApi = '', batchApi = ''

before(async () => {
  redis = await startRedis()
  front = await startBackend('front')
  mesh.backends.push(front)
  ports = { a: await freePort(), b: await freePort(), c: await freePort(), front: front.port }
  await mesh.start()
  await mesh.apply(config(ports, redis.url))
  const web = (await mesh.replica('web', 0)).sidecar
  const batch = (await mesh.replica('batch', 0)).sidecar
  api = (await mesh.replica('api', 0)).backend
  for (const g of ['edge', 'shared-a', 'shared-b']) await mesh.gateway(g)
  await mesh.settled()
  webApi = `http://127.0.0.1:${web.outboundPort('default/api')}`
  batchApi = `http://127.0.0.1:${batch.outboundPort('default/api')}`
})
after(async () => { await mesh.stop(); await redis?.stop() })

async function limited(url: string, app: Backend = api): Promise<void> {
  const hits = app.hits
  const r = await get(url)
  assert.equal(r.status, 429, `${url}: ${r.status} ${r.body}`)
  assert.equal(r.headers['x-trellis-reason'], 'rate_limited')
  assert.ok(Number(r.headers['retry-after']) >= 1, `retry-after ${r.headers['retry-after']}`)
  assert.equal(app.hits, hits, 'a limited request never reaches the app')
}

const statuses = async (n: number, url: () => string, headers: Record<string, string> = {}) => {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await get(url(), headers)).status)
  return out
}

test('a Gateway limit by client address: the burst passes, the next request gets 429 with retry-after', async () => {
  assert.deepEqual(await statuses(3, () => `http://127.0.0.1:${ports.a}/x`), [200, 200, 200])
  await limited(`http://127.0.0.1:${ports.a}/x`, front)
  const ws = await openWebSocket(ports.a, '127.0.0.1', '/ws')
  assert.equal(ws.status, 429, 'a WebSocket upgrade takes a token too')
  ws.socket.destroy()
})

test('a Service limit by consumer counts each calling identity on its own; a mesh route limit acts in the caller', async () => {
  assert.deepEqual(await statuses(4, () => `${webApi}/a`), [200, 200, 200, 200])
  await limited(`${webApi}/a`)
  assert.equal((await get(`${batchApi}/a`)).status, 200, 'another caller has its own bucket')
  // The route limit is by x-job; requests without it are not counted by that limit.
  assert.equal((await get(`${batchApi}/export`, { 'x-job': 'nightly' })).status, 200)
  const hits = api.hits
  const second = await get(`${batchApi}/export`, { 'x-job': 'nightly' })
  assert.equal(second.status, 429)
  assert.equal(api.hits, hits)
})

test('buckets survive a config change', async () => {
  await mesh.apply(config(ports, redis.url, resource('Service', 'unrelated', '{ port: 80, endpoints: [{ address: "127.0.0.1:9" }] }')))
  await mesh.settled()
  await limited(`http://127.0.0.1:${ports.a}/x`, front)
  await limited(`${webApi}/a`)
})

test('with a Redis store two gateways share one budget; without Redis each falls back to local limits', async () => {
  const url = (i: number) => `http://127.0.0.1:${i % 2 === 0 ? ports.b : ports.c}/by-user`
  for (const gw of mesh.gateways.slice(1)) {
    await eventually('the gateway connected to Redis', async () =>
      /trellis_rate_limit_redis_ready\{store="redis:[^"]+"\} 1/.test((await get(`http://127.0.0.1:${gw.adminPort}/metrics`)).body))
  }
  let i = 0
  const both = await statuses(8, () => url(i++), { 'x-user': 'alice' })
  assert.deepEqual(both, [200, 200, 200, 200, 200, 429, 429, 429], 'five in all across both gateways')
  assert.equal((await get(url(0), { 'x-user': 'bob' })).status, 200, 'another header value has its own bucket')
  assert.equal((await get(url(0))).status, 200, 'a request without the header is not counted')

  await redis.stop()
  // Each gateway now decides alone, from a fresh local bucket: five more each, then 429 — never an error.
  const a = await statuses(6, () => url(0), { 'x-user': 'carol' })
  const b = await statuses(6, () => url(1), { 'x-user': 'carol' })
  assert.deepEqual(a, [200, 200, 200, 200, 200, 429])
  assert.deepEqual(b, [200, 200, 200, 200, 200, 429])
  const metrics = (await get(`http://127.0.0.1:${mesh.gateways[1].adminPort}/metrics`)).body
  assert.match(metrics, /trellis_rate_limit_redis_fallbacks_total [1-9]/)
})
