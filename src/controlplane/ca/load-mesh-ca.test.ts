import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore } from '../store/memory-store.js'
import type { Store } from '../store/types.js'
import { CertificateAuthority, type CaPem } from './certificate-authority.js'
import { loadMeshCa } from './load-mesh-ca.js'

/** A store shared by replicas, as far as the CA goes: it keeps the first CA offered. */
function sharedStore(): Store & { held(): CaPem | null } {
  let held: CaPem | null = null
  return {
    url: 'shared://test', held: () => held,
    load: async () => ({ resources: [], instances: [] }), save: async () => {}, close: async () => {},
    sharedCa: async offer => (held ??= await offer()),
  }
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-mesh-ca-'))
  try { await fn(dir) } finally { rmSync(dir, { recursive: true, force: true }) }
}

test('a store not shared by replicas leaves the CA in the state folder, key 0600', () => inTempDir(async dir => {
  const ca = await loadMeshCa(new MemoryStore(), dir, () => assert.fail('nothing to say'))
  assert.equal(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600)
  assert.equal((await loadMeshCa(new MemoryStore(), dir, () => {})).certificatePem, ca.certificatePem)
}))

test('a shared store: a new CA is stored there and no copy is written to the state folder', () => inTempDir(async dir => {
  const store = sharedStore(), logs: string[] = []
  const ca = await loadMeshCa(store, dir, l => logs.push(l))
  assert.equal(store.held()?.certificate, ca.certificatePem)
  assert.ok(!existsSync(join(dir, 'ca-key.pem')) && !existsSync(join(dir, 'ca.pem')))
  assert.deepEqual(logs, [])
}))

test('a shared store: the state folder\'s CA is offered first; a different one already shared wins', () => inTempDir(async dir => {
  const local = await CertificateAuthority.loadOrCreate(dir)
  const store = sharedStore(), logs: string[] = []
  assert.equal((await loadMeshCa(store, dir, l => logs.push(l))).certificatePem, local.certificatePem)
  assert.match(logs.join('\n'), /stored the CA of .* in shared:\/\/test/)
  await inTempDir(async other => {
    await CertificateAuthority.loadOrCreate(other)       // another machine's own CA
    const adopted: string[] = []
    assert.equal((await loadMeshCa(store, other, l => adopted.push(l))).certificatePem, local.certificatePem)
    assert.match(adopted.join('\n'), /adopted the CA another replica stored in shared:\/\/test; the different CA in .* is not used/)
  })
}))
