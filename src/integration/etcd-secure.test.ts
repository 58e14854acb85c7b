// The etcd store against a secured etcd: TLS with client certificates (etcds://, --etcd-ca,
// --etcd-cert, --etcd-key) and user/password auth (etcd://USER@…, TRELLIS_ETCD_PASSWORD). Replicas
// that are let in share config as over plain etcd; one that is refused exits 1 within seconds with
// a message naming the store and the cause, and never prints the password.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { ControlPlane } from '../controlplane/control-plane.js'
import { EtcdStore } from '../controlplane/store/etcd-store.js'
import { openStore } from '../controlplane/store/open-store.js'
import { makeCa } from './harness/etcd-pki.js'
import { startEtcd, type TestEtcd } from './harness/etcd.js'
import { eventually } from './harness/http.js'
import { docs, service } from './harness/fixtures.js'
import { CLI } from './harness/up-process.js'

const PASSWORD = 'pa55-Word-for-etcd'
let tlsEtcd: TestEtcd
let authEtcd: TestEtcd
const dirs: string[] = []
const cps: ControlPlane[] = []

const temp = (prefix: string) => { const d = mkdtempSync(join(tmpdir(), prefix)); dirs.push(d); return d }

before(async () => {
  [tlsEtcd, authEtcd] = await Promise.all([startEtcd({ tls: true }), startEtcd()])
  // Auth as an operator turns it on: a root user with a password, the root role, then enable.
  const admin = new Etcd3({ hosts: `http://${authEtcd.endpoint}` })
  try {
    await admin.user('root').create(PASSWORD)
    await admin.role('root').create().catch(() => {})   // etcd 3.4 may already have it
    await admin.user('root').addRole('root')
    await admin.auth.authEnable()
  } finally { admin.close() }
})
after(async () => {
  for (const cp of cps) await cp.stop().catch(() => {})
  await Promise.all([tlsEtcd?.stop(), authEtcd?.stop()])
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function replica(store: EtcdStore, state: string): Promise<ControlPlane> {
  const cp = new ControlPlane({ store, stateDir: state, listen: '127.0.0.1:0', instanceTtlMs: 3000, log: () => {} })
  await cp.start()
  cps.push(cp)
  return cp
}

/** `trellis control-plane` with these arguments and environment: its exit status, stderr and time taken. */
function controlPlane(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stderr: string; ms: number }> {
  const start = Date.now()
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CLI, 'control-plane', '--listen', '127.0.0.1:0', '--state', temp('trellis-etcd-sec-'), ...args],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRELLIS_ETCD_PASSWORD: undefined, ...env } })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.once('exit', status => { clearTimeout(timer); resolve({ status, stderr, ms: Date.now() - start }) })
  })
}

test('two replicas over etcds:// with mutual TLS share the config', async () => {
  // etcd is dialled by IP: Node's warning about an IP address as TLS server name must not show
  // (the first TLS connection of this process to an IP is made here).
  const warnings: string[] = []
  const onWarning = (w: Error & { code?: string }) => { warnings.push(w.code ?? w.message) }
  process.on('warning', onWarning)
  try {
    const { caFile, clientCertFile, clientKeyFile } = tlsEtcd.pki!
    const files = { ca: caFile, cert: clientCertFile, key: clientKeyFile }
    const state = temp('trellis-etcd-sec-')
    const a = await replica(openStore(tlsEtcd.url, state, files) as EtcdStore, state)
    const b = await replica(openStore(tlsEtcd.url, state, files) as EtcdStore, state)
    await a.apply([{ file: 'mesh.yaml', dir: state, text: docs(service('api')) }], 'apply')
    await eventually('replica b has the config', async () => b.config.ir.services.some(s => s.name === 'default/api'))
    assert.equal(a.ca.certificatePem, b.ca.certificatePem, 'one mesh CA, shared through etcd')
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(warnings.filter(w => w === 'DEP0123'), [], 'no DEP0123 warning')
  } finally { process.off('warning', onWarning) }
})

test('a replica without the client certificate, or trusting another CA, exits 1 within seconds naming the store and the cause', async () => {
  const { caFile, clientCertFile, clientKeyFile } = tlsEtcd.pki!
  const other = makeCa(temp('trellis-etcd-other-ca-'), 'other-ca')
  const [noCert, otherCa] = await Promise.all([
    controlPlane(['--store', tlsEtcd.url, '--etcd-ca', caFile], {}),
    controlPlane(['--store', tlsEtcd.url, '--etcd-ca', other.certFile, '--etcd-cert', clientCertFile, '--etcd-key', clientKeyFile], {}),
  ])
  assert.equal(noCert.status, 1, noCert.stderr)
  assert.match(noCert.stderr, new RegExp(`trellis: etcd store ${tlsEtcd.url}: etcd refused this replica's client certificate`))
  assert.equal(otherCa.status, 1, otherCa.stderr)
  assert.match(otherCa.stderr, new RegExp(`trellis: etcd store ${tlsEtcd.url}: the certificate etcd presented is not trusted — check --etcd-ca`))
  for (const r of [noCert, otherCa]) assert.ok(r.ms < 8000, `exited after ${r.ms} ms`)
  assert.ok(!otherCa.stderr.includes(readFileSync(clientKeyFile, 'utf8').split('\n')[1]), 'the private key is never printed')
})

test('--etcd-cert without --etcd-key, or TLS files for a plain etcd:// store, are refused before connecting', async () => {
  const { clientCertFile } = tlsEtcd.pki!
  const half = await controlPlane(['--store', tlsEtcd.url, '--etcd-cert', clientCertFile], {})
  assert.equal(half.status, 1)
  assert.match(half.stderr, /--etcd-cert and --etcd-key go together/)
  const plain = await controlPlane(['--store', authEtcd.url, '--etcd-cert', clientCertFile], {})
  assert.equal(plain.status, 1)
  assert.match(plain.stderr, /need a TLS store \(etcds:\/\/…\)/)
})

test('etcd://root@… with TRELLIS_ETCD_PASSWORD works; a wrong or missing password is refused clearly, and never printed', async () => {
  const url = authEtcd.url.replace('etcd://', 'etcd://root@')
  const state = temp('trellis-etcd-sec-')
  const prev = process.env.TRELLIS_ETCD_PASSWORD
  process.env.TRELLIS_ETCD_PASSWORD = PASSWORD
  let store: EtcdStore
  try { store = openStore(url, state) as EtcdStore } finally { process.env.TRELLIS_ETCD_PASSWORD = prev }
  assert.equal(store.url, url, 'the store URL in logs carries the user, not the password')
  const a = await replica(store, state)
  await a.apply([{ file: 'mesh.yaml', dir: state, text: docs(service('auth')) }], 'apply')
  const seen = await EtcdStore.fromUrl(url, { password: PASSWORD }).load()
  assert.ok(seen.resources.some(r => r.key === 'Service/default/auth'))

  const wrong = await controlPlane(['--store', url], { TRELLIS_ETCD_PASSWORD: 'not-the-password' })
  assert.equal(wrong.status, 1, wrong.stderr)
  assert.match(wrong.stderr, new RegExp(`trellis: etcd store ${url}: etcd refused user "root" with the password in TRELLIS_ETCD_PASSWORD`))
  assert.ok(!wrong.stderr.includes('not-the-password'), 'the password is never printed')
  assert.ok(wrong.ms < 8000, `exited after ${wrong.ms} ms`)

  const unset = await controlPlane(['--store', url], {})
  assert.equal(unset.status, 1)
  assert.match(unset.stderr, /names user "root": set its password in the environment variable TRELLIS_ETCD_PASSWORD/)

  const anonymous = await controlPlane(['--store', authEtcd.url], {})
  assert.equal(anonymous.status, 1)
  assert.match(anonymous.stderr, /etcd requires authentication: name a user in the store URL/)

  const inUrl = await controlPlane(['--store', authEtcd.url.replace('etcd://', `etcd://root:${PASSWORD}@`)], {})
  assert.equal(inUrl.status, 1)
  assert.match(inUrl.stderr, /must not carry a password/)
  assert.ok(!inUrl.stderr.includes(PASSWORD))
})
