// A join token limits who may join, not how long a joined proxy lives: proxies that joined with a
// token of a short TTL keep getting config and certificates after it expired, and register again
// with a restarted control plane, using the credential they got when they joined. A new proxy
// with the expired token is refused.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { FileStore } from '../controlplane/store/file-store.js'
import { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { docs, service, workload } from './harness/fixtures.js'
import { startBackend } from './harness/backends.js'
import { eventually, get, sleep } from './harness/http.js'

const CONFIG = docs(service('api'), workload('api'), workload('client', { upstreams: ['api'] }))
/** Long enough for two proxies to join; the tests start once it has passed. */
const TOKEN_TTL_MS = 3000

const state = mkdtempSync(join(tmpdir(), 'trellis-join-expiry-'))
const cleanup: (() => Promise<unknown>)[] = []
let cp: ControlPlane, listen = '', token = '', api: SidecarProxy, client: SidecarProxy

/** Certificates of 4 s renew every second, so renewals keep coming after the token expired. */
async function startCp(address: string): Promise<ControlPlane> {
  const c = new ControlPlane({ store: new FileStore(join(state, 'store')), stateDir: state, listen: address, instanceTtlMs: 3000, certTtlMs: 4000, log: () => {} })
  await c.start()
  return c
}

const register = (authorization: string, body: Record<string, unknown>) => get(`http://${listen}/api/v1/proxies`,
  { authorization, 'content-type': 'application/json' }, 'POST', JSON.stringify({ pid: 1, adminAddress: '127.0.0.1:1', ...body }))
const throughMesh = async (service: string) => (await get(`http://127.0.0.1:${client.outboundPort(service)}/x`)).status === 200
const allAcked = (c: ControlPlane) => c.registry.list().length === 2 && c.registry.list().every(p => p.connected && p.ackedVersion >= c.currentVersion)

before(async () => {
  cp = await startCp('127.0.0.1:0')
  listen = cp.address
  assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: state, text: CONFIG }], 'apply')).ok, true)
  const apps = [await startBackend('api-0'), await startBackend('client-app')]
  cleanup.push(...apps.map(b => () => b.close()))
  const joinedBy = Date.now() + TOKEN_TTL_MS
  token = cp.creds.createJoinToken(null, TOKEN_TTL_MS, Date.now())
  const mk = (w: string, appPort: number) => new SidecarProxy({ workload: `default/${w}`, replica: 0, appPort, controlPlane: `http://${listen}`, token, log: () => {} })
  api = mk('api', apps[0].port); client = mk('client', apps[1].port)
  await api.start(); await client.start()
  cleanup.push(() => api.stop(50), () => client.stop(50))
  await eventually('both proxies joined', async () => cp.registry.list().length === 2)
  assert.ok(Date.now() < joinedBy, 'the proxies joined before their token expired')
  await eventually('first request through the mesh', async () => client.outboundPort('default/api') > 0 && throughMesh('default/api'))
  await sleep(joinedBy - Date.now() + 100)            // the join token has expired now
})
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => {}); await cp?.stop().catch(() => {}); rmSync(state, { recursive: true, force: true }) })

test('a new proxy with the expired join token is refused, and told the token expired', async () => {
  const r = await register(`Bearer ${token}`, { kind: 'sidecar', workload: 'api', replica: 9 })
  assert.equal(r.status, 401, r.body)
  assert.match(r.json().error, /^the join token expired at .*; a new proxy needs a new one \(trellis token create\)$/)
  assert.ok(!r.body.includes(token), 'the answer does not repeat the token')
  assert.equal(cp.registry.list().length, 2)
})

test('after its join token expired, a joined proxy keeps renewing its certificate', async () => {
  const first = { api: api.certificate.serial, client: client.certificate.serial }
  await eventually('both certificates renewed', async () => api.certificate.serial !== first.api && client.certificate.serial !== first.client, 15_000)
  const rec = cp.registry.list().find(p => p.workload === 'default/api')
  await eventually('the control plane recorded the renewal', async () => rec?.certificate?.serial === api.certificate.serial)
  assert.ok(await throughMesh('default/api'), 'mTLS between the two still works')
})

test('after its join token expired, a joined proxy keeps getting config: a change applied now is acked and served', async () => {
  const changed = docs(service('api'), service('api-v2', { selector: 'app: api' }), workload('api'), workload('client', { upstreams: ['api', 'api-v2'] }))
  assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: state, text: changed }], 'apply')).ok, true)
  assert.ok(await cp.waitForAcks(cp.currentVersion, 15_000), 'every proxy acked the change')
  await eventually('both proxies connected and acked', async () => allAcked(cp))
  await eventually('the new upstream served', async () => client.outboundPort('default/api-v2') > 0 && throughMesh('default/api-v2'))
})

test('after its join token expired, a joined proxy registers again with a restarted control plane', async () => {
  await cp.stop()
  cp = await startCp(listen)
  await eventually('both proxies back, connected and acked', async () => allAcked(cp), 20_000)
  await eventually('requests through the mesh', async () => throughMesh('default/api'))
  const r = await register(`Bearer ${token}`, { kind: 'sidecar', workload: 'api', replica: 9 })
  assert.equal(r.status, 401, 'the restarted control plane still refuses the expired token to a new proxy')
})
