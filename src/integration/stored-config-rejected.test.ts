// A control plane whose stored config no longer compiles (say a newer Trellis checks more) keeps the
// documents: it serves none of them, saves them back unchanged, and serves them once they are fixed.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { FileStore } from '../controlplane/store/file-store.js'
import { resource, service } from './harness/fixtures.js'

const state = mkdtempSync(join(tmpdir(), 'trellis-stored-rejected-'))
const running = new Set<ControlPlane>()
after(async () => {
  for (const cp of running) await cp.stop().catch(() => {})
  rmSync(state, { recursive: true, force: true })
})

async function start(log: (line: string) => void): Promise<ControlPlane> {
  const cp = new ControlPlane({ store: new FileStore(storeDir), stateDir: state, listen: '127.0.0.1:0', log })
  running.add(cp)
  await cp.start()
  return cp
}
async function stop(cp: ControlPlane): Promise<void> { running.delete(cp); await cp.stop() }

const storeDir = join(state, 'store')
const storeFile = join(storeDir, 'store.json')
const stored = [
  { key: 'Service/default/api', file: 'mesh.yaml', dir: state, line: 1, text: resource('Service', 'api', '{ ports: [{ port: 80 }], noLongerAField: 1 }') },
  { key: 'Service/default/web', file: 'mesh.yaml', dir: state, line: 5, text: service('web') },
]

test('a stored config that no longer compiles is kept, not served, and served once fixed', async () => {
  mkdirSync(storeDir, { recursive: true })
  writeFileSync(storeFile, JSON.stringify({ resources: stored, instances: [], version: 4 }))
  const logs: string[] = []
  let cp = await start(l => logs.push(l))
  assert.deepEqual(cp.config.ir.services, [], 'nothing of a rejected config is served')
  assert.ok(logs.some(l => l.includes('noLongerAField')), logs.join('\n'))
  assert.ok(logs.some(l => l.includes('kept in file:')), logs.join('\n'))
  await stop(cp)
  assert.deepEqual(JSON.parse(readFileSync(storeFile, 'utf8')).resources, stored, 'the documents are saved back as they were')

  cp = await start(() => {})
  const fixed = await cp.apply([{ file: 'api.yaml', dir: state, text: service('api') }], 'apply')
  assert.equal(fixed.ok, true, JSON.stringify(fixed.errors))
  assert.deepEqual(cp.config.ir.services.map(s => s.name), ['default/api', 'default/web'])
  await stop(cp)
  assert.deepEqual(JSON.parse(readFileSync(storeFile, 'utf8')).resources.map((r: { key: string }) => r.key), ['Service/default/api', 'Service/default/web'])
})
