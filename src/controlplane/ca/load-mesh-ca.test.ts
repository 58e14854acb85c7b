import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Credentials } from '../auth.js'
import { MemoryStore } from '../store/memory-store.js'
import type { Store } from '../store/types.js'
import { CertificateAuthority, createCaPem, type CaPem } from './certificate-authority.js'
import { loadMeshCa } from './load-mesh-ca.js'
import { openCa } from './sealed-ca.js'

const joinKey = new Credentials('admin', randomBytes(32))

/** A store shared by replicas, as far as the CA goes: it keeps the first CA offered. */
function sharedStore(text: string | null = null): Store & { text(): string | null; held(): CaPem | null } {
  return {
    url: 'shared://test', text: () => text, held: () => text === null ? null : openCa(text, joinKey),
    load: async () => ({ resources: [], instances: [] }), save: async () => {}, close: async () => {},
    sharedCa: async offer => {
      if (text === null) text = await offer()
      return text
    },
  }
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-mesh-ca-'))
  try { await fn(dir) } finally { rmSync(dir, { recursive: true, force: true }) }
}

test('a store not shared by replicas leaves the CA in the state folder, key 0600', () => inTempDir(async dir => {
  const ca = await loadMeshCa(new MemoryStore(), dir, joinKey, () => assert.fail('nothing to say'))
  assert.equal(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600)
  assert.equal((await loadMeshCa(new MemoryStore(), dir, joinKey, () => {})).certificatePem, ca.certificatePem)
}))

test('a shared store: a new CA is stored there and no copy is written to the state folder', () => inTempDir(async dir => {
  const store = sharedStore(), logs: string[] = []
  const ca = await loadMeshCa(store, dir, joinKey, l => logs.push(l))
  assert.equal(store.held()?.certificate, ca.certificatePem)
  assert.ok(!existsSync(join(dir, 'ca-key.pem')) && !existsSync(join(dir, 'ca.pem')))
  assert.deepEqual(logs, [])
}))

test('a shared store: the state folder\'s CA is offered first; a different one already shared wins', () => inTempDir(async dir => {
  const local = await CertificateAuthority.loadOrCreate(dir)
  const store = sharedStore(), logs: string[] = []
  assert.equal((await loadMeshCa(store, dir, joinKey, l => logs.push(l))).certificatePem, local.certificatePem)
  assert.match(logs.join('\n'), /stored the CA of .* in shared:\/\/test/)
  await inTempDir(async other => {
    await CertificateAuthority.loadOrCreate(other)       // another machine's own CA
    const adopted: string[] = []
    assert.equal((await loadMeshCa(store, other, joinKey, l => adopted.push(l))).certificatePem, local.certificatePem)
    assert.match(adopted.join('\n'), /adopted the CA another replica stored in shared:\/\/test; the different CA in .* is not used/)
  })
}))

test('a shared store holds the CA key sealed; another join key is refused, naming the fix, and nothing is written', () => inTempDir(async dir => {
  const store = sharedStore()
  await loadMeshCa(store, dir, joinKey, () => {})
  const stored = store.text()!
  assert.ok(!stored.includes('PRIVATE KEY'), stored)
  const stranger = new Credentials('admin', randomBytes(32))
  await assert.rejects(loadMeshCa(store, dir, stranger, () => {}),
    /the join key of this replica \(.*join-key\) cannot open the CA key stored in shared:\/\/test.*Copy join-key \(and admin-token\) from a running replica's state folder/)
  assert.equal(store.text(), stored)
}))

test('a CA whose key is in the clear is refused and left as it is: only the join key\'s holders can store a CA', () => inTempDir(async dir => {
  const plain = JSON.stringify(await createCaPem())
  const store = sharedStore(plain)
  await assert.rejects(loadMeshCa(store, dir, joinKey, () => {}), /is not a Trellis mesh CA \(no format version and no sealed key\)\. The stored CA was left as it is/)
  assert.equal(store.text(), plain)
}))
