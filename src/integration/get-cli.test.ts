// `trellis get` against a running control plane: a proxy or instance picked by part of its name is
// found, and a type that does not exist is refused with the types that do.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { MemoryStore } from '../controlplane/store/memory-store.js'
import { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { docs, service, workload } from './harness/fixtures.js'
import { startBackend } from './harness/backends.js'
import { eventually } from './harness/http.js'
import { trellisAsync } from './harness/up-process.js'

const stateDir = mkdtempSync(join(tmpdir(), 'trellis-get-cli-'))
const cleanup: (() => Promise<unknown>)[] = []
let cp: ControlPlane

before(async () => {
  cp = new ControlPlane({ store: new MemoryStore(), stateDir, listen: '127.0.0.1:0', log: () => {} })
  await cp.start()
  cleanup.push(() => cp.stop())
  assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: stateDir, text: docs(service('api'), workload('api')) }], 'apply')).ok, true)
  const app = await startBackend('api-0')
  cleanup.push(() => app.close())
  const token = cp.creds.createJoinToken(null, 3600_000, Date.now())
  const proxy = new SidecarProxy({ workload: 'default/api', replica: 0, appPort: app.port, controlPlane: `http://${cp.address}`, token, log: () => {} })
  await proxy.start()
  cleanup.push(() => proxy.stop(50))
  await eventually('the proxy registered', async () => cp.registry.list().some(p => p.connected))
})
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
  rmSync(stateDir, { recursive: true, force: true })
})

const get = (...args: string[]) => trellisAsync(stateDir, 'get', ...args, '--control-plane', `http://${cp.address}`, '--state', stateDir)

for (const kind of ['proxies', 'instances']) {
  test(`get ${kind} NAME lists the ${kind} whose name holds NAME`, async () => {
    const all = await get(kind, '-o', 'json')
    assert.equal(all.status, 0, all.stderr)
    const names = (JSON.parse(all.stdout).items as { name: string }[]).map(i => i.name)
    assert.equal(names.length, 1, all.stdout)
    const picked = await get(kind, 'api', '-o', 'json')
    assert.equal(picked.status, 0, picked.stderr)
    assert.deepEqual((JSON.parse(picked.stdout).items as { name: string }[]).map(i => i.name), names)
    const none = await get(kind, 'no-such-name', '-o', 'json')
    assert.equal(none.status, 0, none.stderr)
    assert.deepEqual(JSON.parse(none.stdout).items, [])
  })
}

test('get of an unknown type fails and lists the types there are', async () => {
  const got = await get('servces')
  assert.notEqual(got.status, 0)
  assert.match(got.stderr, /unknown resource type "servces"; known: .*instances.*proxies.*routes.*services/)
})
