// The credential a proxy gets when it joins acts for that one proxy only: it never registers another
// Workload, replica or a Gateway, never reads another proxy's config or takes its certificate, and
// an altered one is refused. A status answer renews one that is past half its life.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { TestMesh } from './harness/mesh.js'
import { docs, gateway, service, workload } from './harness/fixtures.js'
import { get } from './harness/http.js'

const mesh = new TestMesh()
before(async () => { await mesh.start(); await mesh.apply(docs(service('api'), workload('api'), workload('client'), gateway('edge', 18_080))) })
after(() => mesh.stop())

const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
const post = (path: string, secret: string, body: Record<string, unknown> = {}) =>
  get(`${mesh.url}${path}`, { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, 'POST', JSON.stringify(body))
const registration = (workload: string, replica: number) => ({ kind: 'sidecar', workload, replica, pid: 1, adminAddress: '127.0.0.1:1', inboundAddress: '127.0.0.1:2' })

/** Joins as `workload`/`replica` with a join token limited to `workload`: its id and credential. */
async function join(workload: string, replica: number): Promise<{ id: string; credential: string }> {
  const token = mesh.cp.creds.createJoinToken(`default/${workload}`, 3600_000, Date.now())
  const r = await post('/api/v1/proxies', token, { ...registration(workload, replica), publicKey })
  assert.equal(r.status, 201, r.body)
  const { id, credential } = r.json() as { id: string; credential?: unknown }
  assert.equal(typeof credential, 'string', 'the registration answer carries the proxy\'s credential')
  assert.ok(!String(credential).includes(token), 'the credential is not the join token')
  return { id, credential: credential as string }
}

test('a credential registers again as its own proxy, and never as another Workload, replica or a Gateway', async () => {
  const { credential } = await join('api', 7)
  const again = await post('/api/v1/proxies', credential, registration('api', 7))
  assert.equal(again.status, 201, again.body)
  assert.equal(typeof again.json().credential, 'string', 'registering again brings a fresh credential')
  const before = mesh.cp.registry.list().length
  for (const [what, body] of [
    ['another Workload', registration('client', 7)],
    ['another replica', registration('api', 8)],
    ['a Gateway', { kind: 'gateway', gateway: 'edge', pid: 1, adminAddress: '127.0.0.1:1' }],
  ] as const) {
    const r = await post('/api/v1/proxies', credential, { ...body, publicKey })
    assert.equal(r.status, 403, `${what}: ${r.body}`)
    assert.match(r.json().error, /^the proxy credential is for sidecar default\/api\/7, not /)
    assert.ok(!r.body.includes('BEGIN CERTIFICATE'), `${what}: no certificate issued`)
  }
  assert.equal(mesh.cp.registry.list().length, before, 'nothing registered')
})

test('a credential acts for its own proxy only: another proxy\'s stream, reports and certificate are refused', async () => {
  const mine = await join('api', 3)
  const other = await join('client', 0)
  assert.equal((await post(`/api/v1/proxies/${mine.id}/status`, mine.credential, { appReady: true })).status, 200)
  for (const action of ['status', 'certificate']) {
    const r = await post(`/api/v1/proxies/${other.id}/${action}`, mine.credential, { appReady: true, publicKey })
    assert.equal(r.status, 403, `${action}: ${r.body}`)
  }
  const stream = await get(`${mesh.url}/api/v1/proxies/${other.id}/stream`, { authorization: `Bearer ${mine.credential}` })
  assert.equal(stream.status, 403, stream.body)
})

test('an altered credential is refused: another workload written in, or a changed signature', async () => {
  const { credential } = await join('api', 4)
  const [prefix, body, sig] = credential.split('.')
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>
  const forged = `${prefix}.${Buffer.from(JSON.stringify({ ...claims, workload: 'default/client' })).toString('base64url')}.${sig}`
  const flipped = `${prefix}.${body}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`
  const before = mesh.cp.registry.list().length
  for (const [what, bad, as] of [['forged workload', forged, 'client'], ['flipped signature', flipped, 'api']] as const) {
    const r = await post('/api/v1/proxies', bad, registration(as, 4))
    assert.equal(r.status, 401, `${what}: ${r.body}`)
    assert.match(r.json().error, /^the proxy credential is not valid here/)
  }
  assert.equal(mesh.cp.registry.list().length, before, 'nothing registered')
})

test('a status answer renews a credential past half its life, and leaves a fresh one be', async () => {
  const { id, credential } = await join('api', 5)
  const fresh = await post(`/api/v1/proxies/${id}/status`, credential, { appReady: true })
  assert.equal(fresh.status, 200, fresh.body)
  assert.equal(fresh.json().credential, undefined)
  const ending = mesh.cp.creds.createProxyCredential({ kind: 'sidecar', workload: 'default/api', replica: 5, gateway: null }, 60_000, Date.now())
  const renewed = await post(`/api/v1/proxies/${id}/status`, ending, { appReady: true })
  assert.equal(renewed.status, 200, renewed.body)
  const next = renewed.json().credential as string
  assert.equal(typeof next, 'string')
  assert.equal((await post(`/api/v1/proxies/${id}/status`, next, { appReady: true })).status, 200, 'the renewed credential works')
})
