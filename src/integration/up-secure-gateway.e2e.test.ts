// examples/secure-gateway runs as its README documents it, through `trellis up` (from a copy, so the
// audit log and key changes stay out of the checkout): 401 without a credential, API keys and
// tokens from make-token.mjs, the consumer and claims at the app, AuthorizationPolicy on a consumer,
// the open route, CORS, the audit log, and a key added to the keys file while it runs.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, get } from './harness/http.js'
import { CLI, REPO, UpProcess } from './harness/up-process.js'

const example = join(REPO, 'examples/secure-gateway')
const dir = mkdtempSync(join(tmpdir(), 'trellis-secure-'))
let up: UpProcess
const GW = 'http://127.0.0.1:8200'
const token = (...args: string[]) => execFileSync(process.execPath, [join(example, 'make-token.mjs'), ...args], { encoding: 'utf8' }).trim()

before(async () => {
  cpSync(example, dir, { recursive: true, filter: src => !src.endsWith('.log') && !src.includes('.trellis') })
  up = new UpProcess(dir, ['-f', 'config', '--state', join(dir, '.state')])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(dir, { recursive: true, force: true }) })

test('no credential: 401; an API key or a token from the identity provider: the app sees the consumer', async () => {
  const none = await get(`${GW}/items`)
  assert.equal(none.status, 401)
  assert.equal(none.headers['x-trellis-reason'], 'unauthenticated')
  assert.equal(none.headers['www-authenticate'], 'Bearer')
  const alice = await get(`${GW}/items`, { 'x-api-key': 'ak_alice_example' })
  assert.equal(alice.status, 200)
  assert.equal(alice.json().headers['x-trellis-consumer'], 'alice')
  assert.equal(alice.json().hasApiKey, false)
  const bob = await get(`${GW}/items`, { authorization: `Bearer ${token('bob', 'bob@example.test')}` })
  assert.equal(bob.status, 200)
  assert.deepEqual([bob.json().headers['x-trellis-consumer'], bob.json().headers['x-user-email']], ['bob', 'bob@example.test'])
  assert.equal((await get(`${GW}/items`, { 'x-api-key': 'ak_wrong' })).status, 401)
  assert.match((await get(`${GW}/items`, { authorization: `Bearer ${token('bob', 'b@x.test', '-1h')}` })).body, /token expired/)
})

test('the mobile app may not reach /admin; /healthz is open; CORS preflights are answered', async () => {
  assert.equal((await get(`${GW}/admin/x`, { 'x-api-key': 'ak_mobile_example' })).status, 403)
  assert.equal((await get(`${GW}/admin/x`, { 'x-api-key': 'ak_alice_example' })).status, 200)
  assert.equal((await get(`${GW}/healthz`)).status, 200)
  const pre = await get(`${GW}/items`, { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }, 'OPTIONS')
  assert.equal(pre.status, 204)
  assert.equal(pre.headers['access-control-allow-origin'], 'http://localhost:3000')
})

test('a key added to the keys file with `trellis apikey hash` works without an apply; the audit log is written', async () => {
  appendFileSync(join(dir, 'keys/api-keys.yaml'), execFileSync(process.execPath, [CLI, 'apikey', 'hash', '--name', 'carol'], { input: 'ak_carol_example', encoding: 'utf8' }))
  const carol = await eventually('carol\'s new key', async () => {
    const r = await get(`${GW}/items`, { 'x-api-key': 'ak_carol_example' })
    return r.status === 200 ? r : null
  })
  assert.equal(carol.json().headers['x-trellis-consumer'], 'carol')
  const lines = await eventually('audit lines', async () => {
    const l = readFileSync(join(dir, 'audit.log'), 'utf8').trimEnd().split('\n').map(s => JSON.parse(s))
    return l.some(e => e.consumer === 'carol') ? l : null
  })
  assert.ok(lines.some(l => l.status === 401 && l.reason === 'unauthenticated' && l.consumer === null))
  assert.ok(lines.some(l => l.status === 403 && l.reason === 'denied' && l.consumer === 'mobile-app'))
  assert.ok(lines.some(l => l.route === 'default/health' && l.status === 200))
  const text = readFileSync(join(dir, 'audit.log'), 'utf8')
  for (const secret of ['ak_alice_example', 'ak_mobile_example', 'ak_carol_example', 'eyJ']) assert.ok(!text.includes(secret), secret)
})
