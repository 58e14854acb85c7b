// Retry budgets hold across hops: with two chained sidecars that both retry, a service failing
// every request sees at most what the two budgets allow — never the product of the attempts.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { docs, service, trafficPolicy, workload } from './harness/fixtures.js'
import { get } from './harness/http.js'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'

const RETRIES = '{ attempts: 3, retryOn: [5xx], backoff: { base: 1ms, max: 2ms }, budget: { percent: 20, minRetriesPerSecond: 1 } }'
const CONFIG = docs(
  service('mid'), trafficPolicy('mid', `retries: ${RETRIES}`), service('back'), trafficPolicy('back', `retries: ${RETRIES}`),
  workload('client', { upstreams: ['mid'] }), workload('mid', { upstreams: ['back'] }), workload('back', { spec: 'replicas: 2' }),
)

const mesh = new TestMesh()
let midApp: Server
let midSidecar: SidecarProxy
let midHits = 0
let clientUrl = ''

before(async () => {
  await mesh.start()
  await mesh.apply(CONFIG)
  const client = await mesh.replica('client', 0)
  // The mid app calls back through its own sidecar and passes the status on.
  midApp = createServer((req, res) => {
    midHits++
    const up = request(`http://127.0.0.1:${midSidecar.outboundPort('default/back')}${req.url}`, r => { r.resume(); res.writeHead(r.statusCode ?? 502); res.end() })
    up.on('error', () => { res.writeHead(502); res.end() })
    up.end()
  })
  await new Promise<void>(r => midApp.listen(0, '127.0.0.1', () => r()))
  midSidecar = await mesh.sidecar('mid', 0, (midApp.address() as AddressInfo).port)
  for (const i of [0, 1]) (await mesh.replica('back', i)).backend.status = 503
  await mesh.settled()
  clientUrl = `http://127.0.0.1:${client.sidecar.outboundPort('default/mid')}`
})
after(async () => { midApp.close(); await mesh.stop() })

test('two chained retrying sidecars stay within their budgets against a service failing 100%', async () => {
  const n = 100
  for (let i = 0; i < n; i++) assert.equal((await get(`${clientUrl}/x`)).status, 503)
  const backHits = mesh.backends.filter(b => b.name.startsWith('back')).reduce((a, b) => a + b.hits, 0)
  // Hop 1: ≤ n + 20% + 1/s × 10 s reach mid. Hop 2: the same rule on what mid sent.
  const hop1 = n + 0.2 * n + 10
  assert.ok(midHits <= hop1, `mid got ${midHits}`)
  assert.ok(backHits <= midHits + 0.2 * midHits + 10, `back got ${backHits} for ${midHits} calls from mid`)
  assert.ok(backHits < n * 4, 'far below attempts × attempts (1600)')
})
