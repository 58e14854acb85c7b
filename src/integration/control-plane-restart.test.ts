// A control plane restarted on its file store: config versions carry on from where they were (a
// proxy never sees its version go back), and callers keep every endpoint while the proxies re-register.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { FileStore } from '../controlplane/store/file-store.js'
import { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { docs, service, workload } from './harness/fixtures.js'
import { startBackend } from './harness/backends.js'
import { eventually, get } from './harness/http.js'

const CONFIG = docs(service('api'), workload('api'), workload('client', { upstreams: ['api'] }))

const state = mkdtempSync(join(tmpdir(), 'trellis-cp-restart-'))
const cleanup: (() => Promise<unknown>)[] = []
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}); rmSync(state, { recursive: true, force: true }) })

async function startCp(listen: string, store: string): Promise<ControlPlane> {
  const cp = new ControlPlane({ store: new FileStore(join(state, store)), stateDir: state, listen, instanceTtlMs: 5000, log: () => {} })
  await cp.start()
  return cp
}

/** A control plane with the config applied, an `api` and a `client` replica, all settled. */
async function meshOn(store: string): Promise<{ cp: ControlPlane; listen: string; api: SidecarProxy; client: SidecarProxy; url: string }> {
  const cp = await startCp('127.0.0.1:0', store)
  const listen = cp.address
  assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: state, text: CONFIG }], 'apply')).ok, true)
  const token = cp.creds.createJoinToken(null, 3600_000, Date.now())
  const apps = [await startBackend('api-0'), await startBackend('client-app')]
  cleanup.push(...apps.map(b => () => b.close()))
  const mk = (w: string, appPort: number) => new SidecarProxy({ workload: `default/${w}`, replica: 0, appPort, controlPlane: `http://${listen}`, token, log: () => {} })
  const api = mk('api', apps[0].port), client = mk('client', apps[1].port)
  await api.start(); await client.start()
  cleanup.push(() => api.stop(50), () => client.stop(50))
  await eventually('the client\'s outbound listener', async () => client.outboundPort('default/api') > 0)
  const url = `http://127.0.0.1:${client.outboundPort('default/api')}/x`
  await eventually('first request through the mesh', async () => (await get(url)).status === 200)
  return { cp, listen, api, client, url }
}

test('config versions keep increasing across a control-plane restart: no proxy goes back to an older version', async () => {
  const m = await meshOn('store-versions')
  let cp = m.cp
  for (let i = 0; i < 5; i++) assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: state, text: `${CONFIG}# apply ${i}\n` }], 'apply')).ok, true)
  const before = cp.currentVersion
  await eventually('both proxies on the last version', async () => m.api.ackedVersion >= before && m.client.ackedVersion >= before)
  await cp.stop()

  cp = await startCp(m.listen, 'store-versions')
  cleanup.push(() => cp.stop())
  assert.ok(cp.currentVersion > before, `restarted at version ${cp.currentVersion}, before the restart it was ${before}`)
  await eventually('both proxies back and acked', async () =>
    cp.registry.list().filter(p => p.connected).length === 2 && cp.registry.list().every(p => p.ackedVersion >= cp.currentVersion), 20_000)
  for (const p of [m.api, m.client]) assert.ok(p.ackedVersion > before, `a proxy went from version ${before} to ${p.ackedVersion}`)
  const after = cp.currentVersion
  assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: state, text: `${CONFIG}# after the restart\n` }], 'apply')).ok, true)
  assert.ok(cp.currentVersion > after)
  assert.ok(await cp.waitForAcks(cp.currentVersion, 10_000), 'every proxy acked the apply made after the restart')
  for (const p of [m.api, m.client]) assert.ok(p.ackedVersion >= cp.currentVersion)
})

test('callers keep the endpoints of instances re-registering with a restarted control plane: no request fails', async () => {
  const m = await meshOn('store-traffic')
  let cp = m.cp
  await eventually('both instances ready', async () => cp.registry.toStored().length === 2)
  await cp.stop()
  const stored = await new FileStore(join(state, 'store-traffic')).load()
  assert.deepEqual(stored.instances.map(i => i.id).sort(), ['default/api/0', 'default/client/0'], 'a stopped control plane keeps its instances')

  const failures: string[] = []
  let sent = 0, stop = false
  const load = (async () => {
    const deadline = Date.now() + 60_000
    while (!stop && Date.now() < deadline && sent < 100_000) {
      sent++
      const r = await get(m.url).catch(err => ({ status: 0, headers: {} as Record<string, unknown>, body: (err as Error).message }))
      if (r.status !== 200) failures.push(`${r.status} ${r.headers['x-trellis-reason'] ?? ''} ${r.body.slice(0, 80)}`)
    }
  })()
  cp = await startCp(m.listen, 'store-traffic')
  cleanup.push(() => cp.stop())
  await eventually('both proxies back, ready and acked', async () =>
    cp.registry.list().filter(p => p.connected && p.appReady).length === 2 && cp.registry.list().every(p => p.ackedVersion >= cp.currentVersion), 20_000)
  await new Promise(r => setTimeout(r, 500))
  stop = true
  await load
  assert.ok(sent > 20, `only ${sent} requests sent`)
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${sent} requests failed`)
})
