// Active health checks a caller's sidecar runs against mesh instances, over mTLS to their sidecars'
// inbound ports: a healthy instance passes them.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { TestMesh } from './harness/mesh.js'
import { eventually } from './harness/http.js'
import { docs, service, workload } from './harness/fixtures.js'

const mesh = new TestMesh()
let web: SidecarProxy

before(async () => {
  await mesh.start()
  await mesh.apply(docs(
    service('api', { spec: 'healthCheck: { path: /healthz, interval: 100ms, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 1 }' }),
    workload('api'), workload('web', { upstreams: ['api'] }),
  ))
  web = (await mesh.replica('web', 0)).sidecar
  await mesh.replica('api', 0)
  await mesh.settled()
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
  await eventually('the caller saw two passing checks', async () => apiEndpoint().checkPasses >= 2)
  assert.equal(apiEndpoint().healthy, true)
  assert.equal(apiEndpoint().checkFails, 0)
})
