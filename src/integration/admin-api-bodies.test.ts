// Bodies sent to the admin API that are not what it expects (not an object, not JSON, nested very
// deeply, too large, documents that are not YAML) answer 4xx with a message, never 500, and the
// running config stays as it was.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { MemoryStore } from '../controlplane/store/memory-store.js'
import { docs, service } from './harness/fixtures.js'
import { get } from './harness/http.js'

const stateDir = mkdtempSync(join(tmpdir(), 'trellis-admin-bodies-'))
const logs: string[] = []
let cp: ControlPlane
let base = ''

before(async () => {
  cp = new ControlPlane({ store: new MemoryStore(), stateDir, listen: '127.0.0.1:0', log: line => logs.push(line) })
  await cp.start()
  base = `http://${cp.address}/api/v1`
  assert.equal((await cp.apply([{ file: 'mesh.yaml', dir: stateDir, text: docs(service('api')) }], 'apply')).ok, true)
})
after(async () => {
  await cp.stop()
  rmSync(stateDir, { recursive: true, force: true })
})

const post = (what: string, body: string) =>
  get(`${base}/${what}`, { authorization: `Bearer ${cp.creds.adminToken}`, 'content-type': 'application/json' }, 'POST', body)

const source = (text: string) => JSON.stringify({ sources: [{ file: 'x.yaml', dir: '/', text }] })
const cases = [
  { name: 'null', body: 'null', want: 400 },
  { name: 'a number', body: '5', want: 400 },
  { name: 'a string', body: '"apply"', want: 400 },
  { name: 'a list', body: '[]', want: 400 },
  { name: 'not JSON', body: 'kind: Service', want: 400 },
  { name: 'sources not a list', body: '{"sources": {}}', want: 400 },
  { name: 'a source that is null', body: '{"sources": [null]}', want: 400 },
  { name: 'JSON nested very deeply', body: '['.repeat(200_000) + ']'.repeat(200_000), want: 400 },
  { name: 'a document nested very deeply', body: source('['.repeat(100_000) + ']'.repeat(100_000)), want: 422 },
  { name: 'a document that is not YAML', body: source('kind: Service\n  : : [\n'), want: 422 },
]

for (const what of ['apply', 'delete', 'replace']) {
  test(`${what}: bodies that are not what the API expects answer 4xx and change nothing`, async () => {
    const version = cp.currentVersion
    for (const c of cases) {
      const reply = await post(what, c.body)
      assert.equal(reply.status, c.want, `${c.name}: ${reply.body.slice(0, 200)}`)
      assert.ok(reply.json().error || reply.json().errors?.length, `${c.name} says what is wrong`)
    }
    assert.equal(cp.currentVersion, version)
    assert.deepEqual(cp.config.list().map(r => r.key), ['Service/default/api'])
    assert.deepEqual(logs.filter(l => l.includes('control plane error')), [])
  })
}

test('delete of a resource that does not exist changes nothing and keeps the version', async () => {
  const version = cp.currentVersion
  const reply = await post('delete', source(docs(service('nope'))))
  assert.equal(reply.status, 200, reply.body)
  assert.deepEqual(reply.json().changes, [])
  assert.equal(cp.currentVersion, version)
  assert.deepEqual(cp.config.list().map(r => r.key), ['Service/default/api'])
})
