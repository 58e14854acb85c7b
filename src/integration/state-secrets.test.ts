// The secrets in a control plane's state folder when a first start was cut short (disk full, power
// lost before the data reached the disk): files left empty or with loose permissions are made anew,
// owner-only, and never used as they are — an empty join key would let anyone sign join tokens.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../controlplane/control-plane.js'
import { MemoryStore } from '../controlplane/store/memory-store.js'
import { docs, gateway } from './harness/fixtures.js'
import { get } from './harness/http.js'

const dirs: string[] = []
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

function stateDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-state-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 })
  return dir
}

async function start(dir: string): Promise<{ cp: ControlPlane; url: string }> {
  const cp = new ControlPlane({ store: new MemoryStore(), stateDir: dir, listen: '127.0.0.1:0', log: () => {} })
  await cp.start()
  return { cp, url: `http://${cp.address}` }
}

const mode = (path: string) => statSync(path).mode & 0o777

test('an empty join-key file is replaced by a new key: tokens signed without a key are refused', async () => {
  const dir = stateDir({ 'join-key': '', 'admin-token': '' })
  const { cp, url } = await start(dir)
  try {
    await cp.apply([{ file: 'g.yaml', dir, text: docs(gateway('edge', 1)) }], 'apply')
    // What anyone could sign if the join key were the empty file's zero bytes: a gateway identity.
    const body = Buffer.from(JSON.stringify({ workload: null, exp: Date.now() + 3600_000 })).toString('base64url')
    const forged = `${body}.${createHmac('sha256', Buffer.alloc(0)).update(body).digest('base64url')}`
    const publicKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string
    const r = await get(`${url}/api/v1/proxies`, { authorization: `Bearer ${forged}`, 'content-type': 'application/json' }, 'POST',
      JSON.stringify({ kind: 'gateway', gateway: 'edge', pid: 1, adminAddress: '127.0.0.1:1', publicKey }))
    assert.equal(r.status, 401, `forged join token answered ${r.status}: ${r.body.slice(0, 200)}`)
    assert.equal(Buffer.from(readFileSync(join(dir, 'join-key'), 'utf8').trim(), 'base64url').length, 32)
    assert.ok(cp.creds.adminToken.length >= 32, 'a new admin token, not an empty one')
    assert.equal(readFileSync(join(dir, 'admin-token'), 'utf8').trim(), cp.creds.adminToken)
    assert.equal((await get(`${url}/api/v1/status`, { authorization: `Bearer ${cp.creds.adminToken}` })).status, 200)
    for (const f of ['join-key', 'admin-token']) assert.equal(mode(join(dir, f)), 0o600, `${f} is owner-only`)
  } finally { await cp.stop() }
})

test('a join key too short to be one is refused at start, naming the file', async () => {
  const dir = stateDir({ 'join-key': 'c2hvcnQ\n', 'admin-token': 'x'.repeat(32) + '\n' })
  assert.throws(() => new ControlPlane({ store: new MemoryStore(), stateDir: dir, log: () => {} }), /join-key.*32 bytes/)
})

test('an empty CA key file is replaced by a new CA whose key is owner-only', async () => {
  const dir = stateDir({ 'ca-key.pem': '', 'ca.pem': '' })
  const { cp } = await start(dir)
  try {
    assert.match(readFileSync(join(dir, 'ca-key.pem'), 'utf8'), /BEGIN PRIVATE KEY/)
    assert.equal(mode(join(dir, 'ca-key.pem')), 0o600)
    assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), cp.ca.certificatePem)
  } finally { await cp.stop() }
})
