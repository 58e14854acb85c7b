// Active health checks a caller's sidecar runs against mesh instances, over mTLS to their sidecars'
// inbound ports: a healthy instance passes them, and a Service's RateLimitPolicy does not count them
// against the caller (which would otherwise be limited by its own proxy's checks).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, get } from './harness/http.js'
import { docs, resource, service, workload } from './harness/fixtures.js'

const mesh = new TestMesh()
let web: SidecarProxy, webApi = ''

before(async () => {
  await mesh.start()
  await mesh.apply(docs(
    service('api', { spec: 'healthCheck: { path: /healthz, interval: 100ms, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 1 }' }),
    workload('api'), workload('web', { upstreams: ['api'] }),
    resource('RateLimitPolicy', 'api-callers', '{ targetRef: { kind: Service, name: api }, limits: [{ key: consumer, requests: 3, per: 1h }] }'),
  ))
  web = (await mesh.replica('web', 0)).sidecar
  await mesh.replica('api', 0)
  await mesh.settled()
  webApi = `http://127.0.0.1:${web.outboundPort('default/api')}`
})
after(async () => { await mesh.stop() })

/** The caller's view of the api instance: its check counters (the cluster is not public). */
function apiEndpoint(): { healthy: boolean; checkPasses: number; checkFails: number } {
  const clusters = (web as unknown as { clusters: { byService: Map<string, { endpoints: { healthy: boolean; checkPasses: number; checkFails: number }[] }> } }).clusters
  const ep = clusters.byService.get('default/api')?.endpoints[0]
  assert.ok(ep, 'the caller knows the api instance')
  return ep
}

test("a caller's health checks reach a mesh instance over mTLS and pass", async () => {
  // More checks than the Service's limit lets the caller send requests.
  await eventually('the caller saw six passing checks', async () => apiEndpoint().checkPasses >= 6)
  assert.equal(apiEndpoint().healthy, true)
  assert.equal(apiEndpoint().checkFails, 0)
})

test("the caller's checks did not use up its rate limit", async () => {
  const out: number[] = []
  for (let i = 0; i < 4; i++) out.push((await get(`${webApi}/a`)).status)
  assert.deepEqual(out, [200, 200, 200, 429])
})
