// Two control-plane replicas sharing a real etcd: an apply on one reaches the other and its
// proxies; instances registered at one are endpoints for the other's proxies (over mTLS, one CA
// shared through etcd); concurrent writers never overwrite each other; a replica that stops
// takes its instances with it; a new replica starts from what etcd holds.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { EtcdStore } from '../controlplane/store/etcd-store.js'
import { StoreConflict } from '../controlplane/store/types.js'
import { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { startBackend, type Backend } from './harness/backends.js'
import { startEtcd, type TestEtcd } from './harness/etcd.js'
import { eventually, get } from './harness/http.js'
import { docs, service, workload } from './harness/fixtures.js'

const CONFIG = (note: string) => docs(
  service('api').replace('name: api }', `name: api, labels: { note: "${note}" } }`),
  workload('api'), workload('web', { upstreams: ['api'] }),
)

let etcd: TestEtcd
const state = mkdtempSync(join(tmpdir(), 'trellis-etcd-state-'))
const cps: ControlPlane[] = []
const sidecars: SidecarProxy[] = []
const backends: Backend[] = []

async function replica(): Promise<ControlPlane> {
  const cp = new ControlPlane({ store: EtcdStore.fromUrl(etcd.url), stateDir: state, listen: '127.0.0.1:0', instanceTtlMs: 3000, log: () => {} })
  await cp.start()
  cps.push(cp)
  return cp
}

async function sidecar(cp: ControlPlane, workload: string): Promise<SidecarProxy> {
  const app = await startBackend(`${workload}@${cp.address}`)
  backends.push(app)
  const s = new SidecarProxy({ workload: `default/${workload}`, replica: 0, appPort: app.port, controlPlane: `http://${cp.address}`, token: cp.creds.adminToken, log: () => {} })
  await s.start()
  sidecars.push(s)
  return s
}

before(async () => { etcd = await startEtcd() })
after(async () => {
  await Promise.all(sidecars.map(s => s.stop(0)))
  await Promise.all(backends.map(b => b.close()))
  for (const cp of cps) await cp.stop().catch(() => {})
  await etcd?.stop()
  rmSync(state, { recursive: true, force: true })
})

test('an apply on one replica reaches the other; instances at one are endpoints for the other\'s proxies', async () => {
  const a = await replica()
  const b = await replica()
  await a.apply([{ file: 'mesh.yaml', dir: state, text: CONFIG('v1') }], 'apply')
  await eventually('replica b has the config', async () => b.config.ir.services.some(s => s.name === 'default/api'))
  await sidecar(a, 'api')                  // the api instance registers at replica a
  const web = await sidecar(b, 'web')      // its caller at replica b
  await eventually('b sees a\'s instance', async () => b.registry.instances().some(i => i.workload === 'default/api'))
  const url = `http://127.0.0.1:${web.outboundPort('default/api')}/hello`
  const r = await eventually('web reaches api across replicas', async () => { const x = await get(url); return x.status === 200 ? x : null })
  assert.equal(r.json().headers['x-trellis-peer-identity'], 'spiffe://trellis.local/ns/default/sa/web', 'over mTLS, one CA for both replicas')
})

test('two writers that read the same config: the second gets a conflict and nothing is overwritten', async () => {
  const s1 = EtcdStore.fromUrl(etcd.url), s2 = EtcdStore.fromUrl(etcd.url)
  try {
    const [one, two] = [await s1.load(), await s2.load()]
    await s1.save({ resources: [...one.resources, { key: 'Service/default/one', file: 'x', dir: '/', line: 1, text: 'one' }], instances: [] })
    await assert.rejects(s2.save({ resources: [...two.resources, { key: 'Service/default/two', file: 'x', dir: '/', line: 1, text: 'two' }], instances: [] }), StoreConflict)
    const now = await EtcdStore.fromUrl(etcd.url).load()
    assert.ok(now.resources.some(r => r.key === 'Service/default/one'))
    assert.ok(!now.resources.some(r => r.key === 'Service/default/two'))
    // Restore the shared config for the tests after this one.
    await s1.save({ resources: one.resources, instances: [] })
  } finally { await s1.close(); await s2.close() }
})

test('concurrent applies on both replicas: each is stored whole or refused with 409, and both converge on what etcd holds', async t => {
  const [a, b] = cps
  const post = async (cp: ControlPlane, note: string) => {
    const r = await get(`http://${cp.address}/api/v1/apply`, { authorization: `Bearer ${cp.creds.adminToken}`, 'content-type': 'application/json' },
      'POST', JSON.stringify({ sources: [{ file: 'mesh.yaml', dir: state, text: CONFIG(note) }] }))
    return r
  }
  let conflicts = 0
  for (let round = 0; round < 8; round++) {
    const [ra, rb] = await Promise.all([post(a, `a${round}`), post(b, `b${round}`)])
    for (const r of [ra, rb]) {
      assert.ok(r.status === 200 || r.status === 409, `${r.status} ${r.body}`)
      if (r.status === 409) { conflicts++; assert.match(r.json().error, /changed by another control-plane replica.*nothing was applied/) }
    }
    const stored = (await EtcdStore.fromUrl(etcd.url).load()).resources.find(x => x.key === 'Service/default/api')!.text
    assert.ok(stored.includes(`"a${round}"`) || stored.includes(`"b${round}"`), 'the last writer of this round is what is stored')
    for (const cp of [a, b]) {
      await eventually(`replica converges in round ${round}`, async () => cp.config.list().find(x => x.key === 'Service/default/api')?.text === stored)
    }
  }
  t.diagnostic(`concurrent applies: ${conflicts} of 16 refused with 409`)
})

test('a replica that stops takes its instances with it; a new replica starts from etcd', async () => {
  const [a, b] = cps
  const apiSidecar = sidecars[0]
  await apiSidecar.stop(0)
  sidecars.splice(0, 1)
  await a.stop()
  cps.splice(0, 1)
  await eventually('b no longer lists a\'s instance', async () => !b.registry.instances().some(i => i.workload === 'default/api'), 15_000)
  const stored = (await EtcdStore.fromUrl(etcd.url).load()).resources
  const c = await replica()
  assert.deepEqual(c.config.list(), stored, 'the new replica loaded the stored config')
  assert.ok(c.config.ir.services.some(s => s.name === 'default/api'))
})

test('an apply the store cannot take (etcd down) is refused and changes nothing, even later', async () => {
  const own = await startEtcd()
  const cp = new ControlPlane({ store: EtcdStore.fromUrl(own.url), stateDir: state, listen: '127.0.0.1:0', instanceTtlMs: 3000, log: () => {} })
  await cp.start()
  try {
    await cp.apply([{ file: 'mesh.yaml', dir: state, text: CONFIG('kept') }], 'apply')
    await own.stop()
    const failed = await Promise.race([
      cp.apply([{ file: 'mesh.yaml', dir: state, text: CONFIG('lost') }], 'apply').then(() => 'applied', () => 'refused'),
      new Promise(r => setTimeout(() => r('hung'), 20_000)),
    ])
    assert.equal(failed, 'refused')
    const text = cp.config.list().find(r => r.key === 'Service/default/api')!.text
    assert.match(text, /kept/, 'the refused change is not in memory, so no later push can carry it')
  } finally {
    await Promise.race([cp.stop().catch(() => {}), new Promise(r => setTimeout(r, 5000))])
  }
})

test('a config written between a replica\'s load and its watch still reaches it; instance writes never conflict with applies', async () => {
  const a = EtcdStore.fromUrl(etcd.url), b = EtcdStore.fromUrl(etcd.url)
  try {
    await a.load()
    const base = await b.load()
    const written = [...base.resources.filter(r => r.key !== 'Service/default/between'), { key: 'Service/default/between', file: 'x', dir: '/', line: 1, text: 'between' }]
    await b.save({ resources: written, instances: [] })          // after a's load, before a watches
    const seen: string[][] = []
    await a.watch({ config: r => seen.push(r.map(x => x.key)), instances: () => {} })
    await eventually('the write in between is delivered', async () => seen.some(keys => keys.includes('Service/default/between')))
    // a still holds an old revision for the config, yet writing its instances is not refused.
    await a.saveInstances([{ id: 'default/web/9', workload: 'default/web', replica: 9, labels: {}, address: '127.0.0.1:9', pid: null, proxy: 'p' }])
    await b.save({ resources: base.resources, instances: [] })   // leave the shared config as it was
  } finally { await a.close(); await b.close() }
})
