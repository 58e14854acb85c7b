// Proxies keep serving on their last good config while the control plane is away, and pick up
// where they left off when it comes back (a file store recovers config and registry).
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { docs, service, workload } from './harness/fixtures.js'
import { FileStore } from '../controlplane/store/file-store.js'
import { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { startBackend, type Backend } from './harness/backends.js'
import { eventually, get } from './harness/http.js'

const CONFIG = docs(service('api'), workload('api'), workload('client', { upstreams: ['api'] }))

const state = mkdtempSync(join(tmpdir(), 'trellis-cp-'))
const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}); rmSync(state, { recursive: true, force: true }) })

async function startCp(listen: string): Promise<ControlPlane> {
  const cp = new ControlPlane({ store: new FileStore(join(state, 'store')), stateDir: state, listen, instanceTtlMs: 3000, log: () => {} })
  await cp.start()
  return cp
}

test('traffic keeps flowing on the last config while the control plane is down, and resumes after restart', async () => {
  let cp = await startCp('127.0.0.1:0')
  const listen = cp.address
  const res = await cp.apply([{ file: 'mesh.yaml', dir: state, text: CONFIG }], 'apply')
  assert.equal(res.ok, true)
  const token = cp.creds.createJoinToken(null, 3600_000, Date.now())
  const backends: Backend[] = [await startBackend('api-0'), await startBackend('client-app')]
  cleanup.push(...backends.map(b => () => b.close()))
  const mk = (workload: string, appPort: number) => new SidecarProxy({ workload: `default/${workload}`, replica: 0, appPort, controlPlane: `http://${listen}`, token, log: () => {} })
  const api = mk('api', backends[0].port), client = mk('client', backends[1].port)
  await api.start(); await client.start()
  cleanup.push(() => api.stop(50), () => client.stop(50))
  const url = () => `http://127.0.0.1:${client.outboundPort('default/api')}/x`
  await eventually('first request through the mesh', async () => (await get(url())).status === 200)

  await cp.stop()
  for (let i = 0; i < 20; i++) assert.equal((await get(url())).status, 200, 'served on the last config while the control plane is down')

  cp = await startCp(listen) // same address; the file store brings back config and instances
  cleanup.push(() => cp.stop())
  assert.equal(cp.config.ir.services.length, 1, 'config recovered from the store')
  await eventually('both proxies reconnect', async () => cp.registry.list().filter(p => p.connected).length === 2, 15_000)
  await eventually('acked the new control plane', async () => cp.registry.list().every(p => p.ackedVersion >= cp.currentVersion))
  assert.equal((await get(url())).status, 200)
})

test('a restarted control plane recovers instances registered before it stopped', async () => {
  const store = new FileStore(join(state, 'store2'))
  await store.save({ resources: [], instances: [{ id: 'default/api/0', workload: 'default/api', replica: 0, labels: { app: 'api' }, address: '127.0.0.1:1', pid: null, proxy: 'x' }] })
  const cp = new ControlPlane({ store, stateDir: state, listen: '127.0.0.1:0', instanceTtlMs: 300, log: () => {} })
  await cp.start()
  cleanup.push(() => cp.stop())
  assert.equal(cp.registry.instances().length, 1, 'recovered from the store')
  await eventually('expired after the TTL without a heartbeat', async () => cp.registry.instances().length === 0, 5000)
})
