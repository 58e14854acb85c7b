import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ApiKeyStore, hashApiKey, matchApiKey, parseKeysFile } from './api-keys.js'
import { eventually } from '../../integration/harness/http.js'

const dir = mkdtempSync(join(tmpdir(), 'trellis-keys-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('hashApiKey is the hex SHA-256 of the key', () => {
  assert.equal(hashApiKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})

test('keys file: names and hashes; the key is found by its hash, whatever the entry order', () => {
  const entries = parseKeysFile(`keys:\n  - { name: alice, sha256: ${hashApiKey('k-alice')} }\n  - { name: bob, sha256: ${hashApiKey('k-bob').toUpperCase()} }\n  - { name: alice, sha256: ${hashApiKey('k-alice-2')} }\n`)
  assert.deepEqual(entries.map(e => e.name), ['alice', 'bob', 'alice'])
  assert.equal(matchApiKey(entries, 'k-alice'), 'alice')
  assert.equal(matchApiKey(entries, 'k-alice-2'), 'alice', 'a consumer may have two keys while rotating')
  assert.equal(matchApiKey(entries, 'k-bob'), 'bob', 'hex digits in either case')
  assert.equal(matchApiKey(entries, 'k-carol'), null)
  assert.equal(matchApiKey(entries, ''), null)
  assert.equal(matchApiKey(entries, hashApiKey('k-alice')), null, 'the stored hash is not itself a key')
  assert.deepEqual(parseKeysFile('{"keys": []}'), [], 'JSON works too')
})

test('keys file problems name the entry and the field', () => {
  const cases: { text: string; want: RegExp }[] = [
    { text: 'keys: nope', want: /"keys" list/ },
    { text: '- a', want: /"keys" list/ },
    { text: 'keys: [{ name: alice }]', want: /keys\[0\]\.sha256: expected 64 hex digits/ },
    { text: 'keys: [{ name: alice, sha256: abc }]', want: /keys\[0\]\.sha256/ },
    { text: `keys: [{ name: "al ice", sha256: ${hashApiKey('x')} }]`, want: /keys\[0\]\.name/ },
    { text: `keys: [{ name: alice, sha256: ${hashApiKey('x')}, key: x }]`, want: /keys\[0\]\.key: unknown field/ },
    { text: `keys: [{ name: a, sha256: ${hashApiKey('x')} }, { name: b, sha256: ${hashApiKey('x')} }]`, want: /keys\[1\]\.sha256: the same key is listed for "a"/ },
  ]
  for (const c of cases) assert.throws(() => parseKeysFile(c.text), c.want, c.text)
})

test('ApiKeyStore reloads the file when it changes and keeps the last good content on a bad change', async () => {
  const path = join(dir, 'keys.yaml')
  writeFileSync(path, `keys: [{ name: alice, sha256: ${hashApiKey('one')} }]\n`)
  const store = new ApiKeyStore(path, () => {})
  try {
    assert.equal(store.match('one'), 'alice')
    writeFileSync(path, `keys: [{ name: bob, sha256: ${hashApiKey('two')} }]\n`)
    await eventually('the keys file reloaded', async () => store.match('two') === 'bob')
    assert.equal(store.match('one'), null, 'a removed key stops working')
    const reloads = store.reloads
    writeFileSync(path, 'keys: [{ name: broken }]\n')
    await new Promise(r => setTimeout(r, 1500))
    assert.equal(store.reloads, reloads)
    assert.equal(store.match('two'), 'bob', 'a bad change keeps the last good keys')
  } finally { store.close() }
  assert.throws(() => new ApiKeyStore(join(dir, 'missing.yaml'), () => {}), /ENOENT/)
})

test('trellis apikey hash prints what the keys file stores, and a whole entry with --name', () => {
  const bin = fileURLToPath(new URL('../../../bin/trellis.js', import.meta.url))
  const run = (args: string[], input: string) => spawnSync(process.execPath, [bin, 'apikey', 'hash', ...args], { input, encoding: 'utf8' })
  const plain = run([], 'ak_alice_example\n')
  assert.equal(plain.status, 0, plain.stderr)
  assert.equal(plain.stdout, `${hashApiKey('ak_alice_example')}\n`, 'one trailing line break is not part of the key')
  const entry = run(['--name', 'alice'], 'ak_alice_example')
  assert.equal(entry.stdout, `  - { name: alice, sha256: ${hashApiKey('ak_alice_example')} }\n`)
  assert.deepEqual(parseKeysFile(`keys:\n${entry.stdout}`).map(e => e.name), ['alice'], 'the entry parses as a keys file')
  assert.ok(!entry.stdout.includes('ak_alice_example') && !entry.stderr.includes('ak_alice_example'), 'the key is never echoed')
  assert.equal(run([], '').status, 1)
  assert.equal(run(['--name', 'a b'], 'k').status, 1)
})
