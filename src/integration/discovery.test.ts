// Discovery through real sidecars: replicas join and leave the endpoint set, traffic follows.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { TestMesh } from './harness/mesh.js'
import { docs, service, trafficPolicy, workload } from './harness/fixtures.js'
import { get, eventually } from './harness/http.js'

const CONFIG = docs(
  service('api'), workload('api', { spec: 'replicas: 3' }), workload('client', { upstreams: ['api'] }),
  trafficPolicy('api', 'loadBalancer: { type: RoundRobin }'),
)

const mesh = new TestMesh()
let url = ''

before(async () => {
  await mesh.start()
  await mesh.apply(CONFIG)
  const client = await mesh.replica('client', 0)
  await mesh.replica('api', 0)
  await mesh.replica('api', 1)
  await mesh.settled()
  url = `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`
})
after(() => mesh.stop())

async function spread(n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const r = await get(`${url}/hello`)
    assert.equal(r.status, 200, r.body)
    const name = r.json().name as string
    seen.set(name, (seen.get(name) ?? 0) + 1)
  }
  return seen
}

test('requests to an upstream reach every registered replica', async () => {
  const seen = await spread(40)
  assert.deepEqual([...seen.keys()].sort(), ['api-0', 'api-1'])
  assert.equal(seen.get('api-0'), 20, 'round robin splits evenly')
})

test('a replica that joins gets traffic once it registers (scale up)', async () => {
  await mesh.replica('api', 2)
  await mesh.settled()
  const seen = await spread(30)
  assert.deepEqual([...seen.keys()].sort(), ['api-0', 'api-1', 'api-2'])
  for (const n of seen.values()) assert.equal(n, 10)
})

test('a killed replica leaves the endpoint set and traffic moves to the others', async () => {
  await mesh.kill(mesh.sidecars[2]) // api-1's sidecar (client, api-0, api-1, api-2)
  await eventually('api-1 removed', async () => !mesh.cp.registry.instances().some(i => i.workload === 'default/api' && i.replica === 1))
  await mesh.settled()
  const seen = await spread(30)
  assert.deepEqual([...seen.keys()].sort(), ['api-0', 'api-2'])
})

test('an app that stops answering is taken out of rotation by its own sidecar', async () => {
  const backend = mesh.backends.find(b => b.name === 'api-2')!
  await backend.close()
  // Before its sidecar notices, requests landing there get the sidecar's 503 `unavailable` (the app
  // never saw them): the caller retries them elsewhere, so none fails.
  for (let i = 0; i < 10; i++) assert.equal((await get(`${url}/right-away`)).status, 200)
  await eventually('api-2 unready', async () => mesh.cp.registry.instances().some(i => i.replica === 2 && !i.ready))
  await mesh.settled()
  const seen = await spread(10)
  assert.deepEqual([...seen.keys()], ['api-0'])
})

test('get instances reports workload, replica, services and health', async () => {
  const res = await get(`${mesh.url}/api/v1/instances`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })
  assert.equal(res.status, 200)
  const items = res.json().items as { workload: string; replica: number; services: string[]; healthy: boolean }[]
  const api0 = items.find(i => i.workload === 'default/api' && i.replica === 0)!
  assert.deepEqual(api0.services, ['default/api'])
  assert.equal(api0.healthy, true)
  const api2 = items.find(i => i.workload === 'default/api' && i.replica === 2)!
  assert.equal(api2.healthy, false)
})

test('the admin API refuses requests without the admin token', async () => {
  assert.equal((await get(`${mesh.url}/api/v1/instances`)).status, 401)
  assert.equal((await get(`${mesh.url}/api/v1/instances`, { authorization: 'Bearer nope' })).status, 401)
  assert.equal((await get(`${mesh.url}/readyz`)).status === 401, false)
})

test('with a Service health check, the sidecar judges its own app by it (readiness), without restarting it', async () => {
  await mesh.apply(CONFIG.replace('spec: { port: 80, selector: { app: api } }', 'spec: { port: 80, selector: { app: api }, healthCheck: { path: /healthz, interval: 100ms, timeout: 500ms, unhealthyThreshold: 2, healthyThreshold: 2 } }'))
  await mesh.settled()
  const api0 = mesh.backends.find(b => b.name === 'api-0')!
  api0.healthStatus = 503
  await eventually('api-0 out of rotation', async () => mesh.cp.registry.instances().some(i => i.replica === 0 && i.workload === 'default/api' && !i.ready))
  api0.healthStatus = 200
  await eventually('api-0 back', async () => mesh.cp.registry.instances().some(i => i.replica === 0 && i.workload === 'default/api' && i.ready))
})
