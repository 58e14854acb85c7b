// A store file that is empty, cut short or not the store's JSON stops the start with an error naming
// the file, and the file is left as it was: the control plane never starts empty over a user's config.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStore } from './file-store.js'

const root = mkdtempSync(join(tmpdir(), 'trellis-file-store-'))
after(() => rmSync(root, { recursive: true, force: true }))

const cases = [
  { name: 'empty', text: '', want: /is empty/ },
  { name: 'blank', text: ' \n', want: /is empty/ },
  { name: 'truncated', text: '{"resources":[{"key":"Service/default/api","te', want: /is not valid JSON/ },
  { name: 'null', text: 'null', want: /does not hold a JSON object/ },
  { name: 'a list', text: '[]', want: /does not hold a JSON object/ },
  { name: 'yaml', text: 'resources: []\n', want: /is not valid JSON/ },
  { name: 'resources not a list', text: '{"resources":{}}', want: /"resources" field that is not a list/ },
]

for (const c of cases) {
  test(`a store file that is ${c.name} is refused with the file named and left untouched`, async () => {
    const dir = mkdtempSync(join(root, 'case-'))
    const path = join(dir, 'store.json')
    writeFileSync(path, c.text)
    const store = new FileStore(dir)
    await assert.rejects(store.load(), (err: Error) => {
      assert.match(err.message, c.want)
      assert.ok(err.message.includes(path), err.message)
      assert.match(err.message, /move it away/)
      return true
    })
    assert.equal(readFileSync(path, 'utf8'), c.text)
  })
}

test('a missing store file starts empty, and a saved state loads back', async () => {
  const dir = join(root, 'fresh')
  const store = new FileStore(dir)
  assert.deepEqual(await store.load(), { resources: [], instances: [] })
  const state = { resources: [{ key: 'Service/default/api', file: 'a.yaml', dir: '/', line: 1, text: 'kind: Service\n' }], instances: [], version: 7 }
  await store.save(state)
  assert.deepEqual(await new FileStore(dir).load(), state)
})
