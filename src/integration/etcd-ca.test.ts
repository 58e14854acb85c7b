// With the etcd store the mesh CA lives in etcd, so replicas on different machines (each with its
// own state folder, and a copy of one join key) issue certificates from one root: replicas starting
// together agree on one CA (the first write wins); a CA already in a state folder is the one stored;
// a replica with another local CA adopts the shared one. The CA key is sealed with the join key: a
// replica with another join key, a modified value, or a key stored in the clear is refused.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { Credentials } from '../controlplane/auth.js'
import { CertificateAuthority, createCaPem, readCaFiles } from '../controlplane/ca/certificate-authority.js'
import { sealCa } from '../controlplane/ca/sealed-ca.js'
import { ControlPlane } from '../controlplane/control-plane.js'
import { EtcdStore } from '../controlplane/store/etcd-store.js'
import { startEtcd, type TestEtcd } from './harness/etcd.js'

const CA_KEY = 'trellis/ca'
/** The mesh's join key, copied into every replica's state folder as an operator would. */
const JOIN_KEY = randomBytes(32).toString('base64url')

let etcd: TestEtcd
let client: Etcd3
const dirs: string[] = []
const cps: ControlPlane[] = []

function stateDir(joinKey = JOIN_KEY): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-etcd-ca-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'join-key'), joinKey + '\n', { mode: 0o600 })
  return dir
}

function replica(state: string, logs: string[] = []): ControlPlane {
  const cp = new ControlPlane({ store: EtcdStore.fromUrl(etcd.url), stateDir: state, listen: '127.0.0.1:0', log: line => logs.push(line) })
  cps.push(cp)
  return cp
}

async function storedCertificate(): Promise<string | undefined> {
  const text = await client.get(CA_KEY).string()
  return text ? (JSON.parse(text) as { certificate: string }).certificate : undefined
}

/** The CA value in etcd as stored, and its mod revision. */
async function storedRaw(): Promise<{ value: string; modRevision: string }> {
  const kv = (await client.get(CA_KEY).exec()).kvs[0]
  return { value: kv.value.toString(), modRevision: kv.mod_revision }
}

/** A replica that must refuse to start: its error, with its store closed (nothing saved). */
async function refusedStart(state: string): Promise<Error> {
  const store = EtcdStore.fromUrl(etcd.url)
  const cp = new ControlPlane({ store, stateDir: state, listen: '127.0.0.1:0', log: () => {} })
  try {
    return await cp.start().then(() => { cps.push(cp); return assert.fail('the replica started') }, (err: Error) => err)
  } finally { await store.close() }
}

const JOIN_KEY_REFUSED = /join key of this replica \(.*join-key\) cannot open the CA key stored in etcd:\/\/.*Copy join-key \(and admin-token\) from a running replica's state folder/

/** A leaf issued by `cp` for a fresh proxy key. */
async function leafOf(cp: ControlPlane, name: string): Promise<X509Certificate> {
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string
  return new X509Certificate((await cp.ca.issue(publicKey, `spiffe://trellis.local/ns/default/sa/${name}`, 60_000)).certificate)
}

before(async () => {
  etcd = await startEtcd()
  client = new Etcd3({ hosts: `http://${etcd.endpoint}` })
})
after(async () => {
  for (const cp of cps) await cp.stop().catch(() => {})
  client?.close()
  await etcd?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

test('two replicas starting together with empty state folders issue from one CA, kept in etcd only', async () => {
  const [stateA, stateB] = [stateDir(), stateDir()]
  const [a, b] = [replica(stateA), replica(stateB)]
  await Promise.all([a.start(), b.start()])
  assert.equal(a.ca.certificatePem, b.ca.certificatePem, 'one CA certificate for both replicas')
  assert.equal(await storedCertificate(), a.ca.certificatePem, 'the CA both use is the one in etcd')
  // A certificate from each replica chains to the same root, so their proxies accept each other.
  const root = new X509Certificate(a.ca.certificatePem)
  for (const [cp, name] of [[a, 'web'], [b, 'api']] as const) {
    const leaf = await leafOf(cp, name)
    assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey), `the certificate from replica ${name === 'web' ? 'a' : 'b'} chains to the shared root`)
  }
  for (const dir of [stateA, stateB]) assert.ok(!existsSync(join(dir, 'ca-key.pem')), 'no copy of the CA key in a state folder')
  assert.ok(!(await storedRaw()).value.includes('PRIVATE KEY'), 'the key in etcd is sealed')
})

test('replicas that both found no CA in etcd: the first write wins and the other takes it', async () => {
  await client.delete().key(CA_KEY)
  const [s1, s2] = [EtcdStore.fromUrl(etcd.url), EtcdStore.fromUrl(etcd.url)]
  try {
    // Neither offer returns before both were asked, so both stores read "no CA" and both try to write.
    let asked = 0, release!: () => void
    const bothAsked = new Promise<void>(r => { release = r })
    const offer = (text: string) => async () => { if (++asked === 2) release(); await bothAsked; return text }
    const joinKey = new Credentials('admin', Buffer.from(JOIN_KEY, 'base64url'))
    const [one, two] = [sealCa(await createCaPem(), joinKey), sealCa(await createCaPem(), joinKey)]
    const [got1, got2] = await Promise.all([s1.sharedCa(offer(one)), s2.sharedCa(offer(two))])
    assert.equal(asked, 2)
    assert.equal(got1, got2, 'both stores answer with the same CA')
    assert.ok([one, two].includes(got1))
    assert.equal((await storedRaw()).value, got1, 'the winner is the one in etcd')
  } finally { await s1.close(); await s2.close() }
})

test('a replica whose state folder already has a CA stores that CA in etcd', async () => {
  await client.delete().key(CA_KEY)                      // an etcd that has no CA yet
  const state = stateDir()
  const local = await CertificateAuthority.loadOrCreate(state)   // an install from before etcd
  const logs: string[] = []
  const a = replica(state, logs)
  await a.start()
  assert.equal(a.ca.certificatePem, local.certificatePem, 'the existing CA is kept, so its proxies keep working')
  assert.equal(await storedCertificate(), local.certificatePem)
  assert.ok(logs.some(l => l.includes('stored the CA of')), logs.join('\n'))
})

test('a replica with a different CA in its state folder adopts the one in etcd and says so', async () => {
  await client.delete().key(CA_KEY)
  const a = replica(stateDir())
  await a.start()                                        // stores a new CA
  const shared = a.ca.certificatePem
  const state = stateDir()
  const own = await CertificateAuthority.loadOrCreate(state)
  const logs: string[] = []
  const b = replica(state, logs)
  await b.start()
  assert.notEqual(own.certificatePem, shared)
  assert.equal(b.ca.certificatePem, shared, 'the shared CA, not the local one')
  assert.equal(await storedCertificate(), shared, 'etcd still holds the first CA')
  assert.ok(logs.some(l => /adopted the CA another replica stored in etcd:\/\//.test(l) && l.includes(state)), logs.join('\n'))
  const leaf = await leafOf(b, 'orders')
  assert.ok(leaf.verify(new X509Certificate(shared).publicKey), 'what b issues chains to the shared root')
})

test('the CA key in etcd is sealed: neither its PEM text nor its base64 body is readable there', async () => {
  await client.delete().key(CA_KEY)
  const state = stateDir()
  await CertificateAuthority.loadOrCreate(state)         // a known key, stored by the replica below
  const key = readCaFiles(state)!.key
  await replica(state).start()
  const { value } = await storedRaw()
  const body = key.split('\n').filter(l => l && !l.startsWith('-----'))
  assert.ok(!value.includes('PRIVATE KEY'), value)
  for (const line of body) assert.ok(!value.includes(line), `the key's base64 line ${line} is not in etcd`)
  assert.ok(!value.includes(body.join('')), 'nor the whole base64 body')
})

test('a replica with another join key refuses to start, names the fix, and leaves the CA in etcd unchanged', async () => {
  await client.delete().key(CA_KEY)
  await replica(stateDir()).start()
  const before = await storedRaw()
  const err = await refusedStart(stateDir(randomBytes(32).toString('base64url')))
  assert.match(err.message, JOIN_KEY_REFUSED)
  assert.deepEqual(await storedRaw(), before, 'etcd still holds the same value, never rewritten')
  // A replica that was never given the join key (its state folder makes a new one) is refused the same way.
  const fresh = mkdtempSync(join(tmpdir(), 'trellis-etcd-ca-'))
  dirs.push(fresh)
  assert.match((await refusedStart(fresh)).message, JOIN_KEY_REFUSED)
  assert.deepEqual(await storedRaw(), before)
})

test('a CA with its key in the clear is refused and left as it is: writing to etcd is not enough to plant a CA', async () => {
  await client.put(CA_KEY).value(JSON.stringify(await createCaPem()))
  const before = await storedRaw()
  assert.match((await refusedStart(stateDir())).message, /is not a Trellis mesh CA \(no format version and no sealed key\)\. The stored CA was left as it is/)
  assert.deepEqual(await storedRaw(), before)
})

test('a flipped byte in the sealed key is refused, with the same message, and not overwritten', async () => {
  await client.delete().key(CA_KEY)
  await replica(stateDir()).start()
  const stored = JSON.parse((await storedRaw()).value) as { sealedKey: { ciphertext: string } }
  const bytes = Buffer.from(stored.sealedKey.ciphertext, 'base64url')
  bytes[bytes.length >> 1] ^= 0x80
  stored.sealedKey.ciphertext = bytes.toString('base64url')
  await client.put(CA_KEY).value(JSON.stringify(stored))
  const before = await storedRaw()
  assert.match((await refusedStart(stateDir())).message, JOIN_KEY_REFUSED)
  assert.deepEqual(await storedRaw(), before)
})
