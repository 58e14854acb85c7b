import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jwtVerify } from 'jose'
import { eventually, sleep } from '../../integration/harness/http.js'
import { jwksText, testIssuer, type TestIssuer } from '../../integration/harness/jwt.js'
import { FileJwks, parseJwks, type KeySource } from './jwks.js'
import { RemoteJwks } from './jwks-url.js'

const dir = mkdtempSync(join(tmpdir(), 'trellis-jwks-'))
let k1: TestIssuer, k2: TestIssuer, k3: TestIssuer
let served = '{"keys": []}', status = 200, fetches = 0, delayMs = 0
let server: Server, url = ''

before(async () => {
  ;[k1, k2, k3] = await Promise.all([testIssuer('k1'), testIssuer('k2', 'RS256'), testIssuer('k3', 'EdDSA')])
  server = createServer((_req, res) => {
    fetches++
    setTimeout(() => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(served) }, delayMs)
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
})
after(() => { server.close(); rmSync(dir, { recursive: true, force: true }) })

const verifies = async (keys: KeySource, issuer: TestIssuer) => {
  try { await jwtVerify(await issuer.sign(), keys.getKey); return true } catch { return false }
}

test('parseJwks keeps public RSA, EC and OKP keys and drops everything else', () => {
  const set = parseJwks(JSON.stringify({ keys: [
    { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'PRIVATE', kid: 'a' }, { kty: 'oct', k: 'c2VjcmV0', kid: 'b' },
    { kty: 'RSA', n: 'n', e: 'AQAB', p: 'P', q: 'Q', kid: 'c' }, { kty: 'OKP', crv: 'Ed25519', x: 'x', kid: 'd' }, 'junk', null,
  ] }))
  assert.deepEqual(set.keys.map(k => k.kid), ['a', 'c', 'd'])
  assert.ok(set.keys.every(k => !('d' in k) && !('p' in k) && !('q' in k)), 'private members are removed')
  assert.throws(() => parseJwks('{"nokeys": 1}'), /no "keys" list/)
  assert.throws(() => parseJwks('not json'))
})

test('a JWKS file is reloaded when it changes: rotated keys verify, removed ones stop', async () => {
  const path = join(dir, 'jwks.json')
  writeFileSync(path, jwksText(k1))
  const keys = new FileJwks(path, () => {})
  try {
    assert.ok(await verifies(keys, k1))
    assert.ok(!(await verifies(keys, k2)))
    writeFileSync(path, jwksText(k2, k3))
    await eventually('the rotated key set', async () => verifies(keys, k2))
    assert.ok(await verifies(keys, k3))
    assert.ok(!(await verifies(keys, k1)), 'a key removed from the file no longer verifies')
    const reloads = keys.reloads
    writeFileSync(path, '{"keys": [')
    await new Promise(r => setTimeout(r, 1500))
    assert.equal(keys.reloads, reloads)
    assert.ok(await verifies(keys, k2), 'a broken file keeps the last good keys')
  } finally { keys.close() }
})

test('a JWKS URL is fetched once, then again only for an unknown kid, at most once per cooldown', async () => {
  served = jwksText(k1); status = 200; fetches = 0
  const keys = new RemoteJwks(url, () => {}, { cooldownMs: 800 })
  try {
    assert.ok(await verifies(keys, k1))
    assert.ok(await verifies(keys, k1))
    assert.equal(fetches, 1, 'cached: one fetch for many tokens')
    served = jwksText(k1, k2)                                // the issuer rotates in a new key
    assert.ok(await verifies(keys, k2), 'an unknown kid triggers a refresh that finds it')
    assert.equal(fetches, 2)
    assert.ok(!(await verifies(keys, k3)), 'a kid the set does not have fails')
    assert.equal(fetches, 2, 'within the cooldown, an unknown kid does not fetch again')
    served = jwksText(k1, k2, k3)
    await new Promise(r => setTimeout(r, 900))
    assert.ok(await verifies(keys, k3))
    assert.equal(fetches, 3, 'after the cooldown, one more fetch')
  } finally { keys.close() }
})

test('concurrent tokens with a new kid share one fetch; a failing server keeps the cached keys', async () => {
  served = jwksText(k1); status = 200; fetches = 0
  const keys = new RemoteJwks(url, () => {}, { cooldownMs: 60_000 })
  try {
    assert.ok(await verifies(keys, k1))
    served = jwksText(k1, k2); delayMs = 200
    const results = await Promise.all(Array.from({ length: 10 }, () => verifies(keys, k2)))
    assert.deepEqual(results, Array(10).fill(true))
    assert.equal(fetches, 2, 'ten requests, one refresh')
    delayMs = 0
  } finally { keys.close() }
  served = jwksText(k1); status = 503; fetches = 0
  const down = new RemoteJwks(url, () => {}, { cooldownMs: 60_000 })
  try {
    assert.ok(!(await verifies(down, k1)), 'no keys at all while the server fails')
    assert.equal(fetches, 2, 'the first token retries the failed first fetch once')
    assert.ok(!(await verifies(down, k1)))
    assert.equal(fetches, 2, 'then the cooldown holds')
  } finally { down.close(); status = 200 }
})

test('keys older than maxAge are refetched in the background', async () => {
  served = jwksText(k1); fetches = 0
  const keys = new RemoteJwks(url, () => {}, { maxAgeMs: 100, cooldownMs: 60_000 })
  try {
    assert.ok(await verifies(keys, k1))
    served = jwksText(k2)                                  // k1 revoked
    await new Promise(r => setTimeout(r, 150))
    await verifies(keys, k1)                                 // served from the old set, starts a refresh
    await eventually('the refreshed set', async () => !(await verifies(keys, k1)))
    assert.ok(fetches >= 2)
  } finally { keys.close() }
})

test('a background refresh that fails is tried again once per cooldown, not on every request', async () => {
  served = jwksText(k1); status = 200
  const failures: string[] = []
  const keys = new RemoteJwks(url, line => failures.push(line), { maxAgeMs: 0, cooldownMs: 60_000 })
  try {
    assert.ok(await verifies(keys, k1))
    status = 503                                             // the issuer goes down
    for (let i = 0; i < 5; i++) {
      await sleep(20)                                        // the set is stale again (maxAge 0), a refresh started has ended
      assert.ok(await verifies(keys, k1), 'the cached keys keep serving')
    }
    assert.equal(failures.length, 1, `one failed refresh within the cooldown, not one per request: ${failures.join(' | ')}`)
  } finally { keys.close(); status = 200 }
})

test('a JWKS URL that redirects is refused: keys come only from the URL the policy names', async () => {
  served = jwksText(k3); status = 200
  const redirect = createServer((_req, res) => { res.writeHead(302, { location: url }); res.end() })
  await new Promise<void>(r => redirect.listen(0, '127.0.0.1', r))
  const failures: string[] = []
  const keys = new RemoteJwks(`http://127.0.0.1:${(redirect.address() as AddressInfo).port}/jwks.json`, line => failures.push(line))
  const before = fetches
  try {
    assert.ok(!(await verifies(keys, k3)), 'a key from where the redirect points never verifies')
    assert.equal(fetches, before, 'the redirect was not followed')
    assert.match(failures[0] ?? '', /answered 302 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/jwks\.json\)/)
  } finally { keys.close(); redirect.close() }
})

test('a JWKS URL that sends an endless body is cut off past 1 MiB, not read into memory whole', async () => {
  let finished = false
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  const endless = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })   // no Content-Length: chunked
    let left = 64 * 1024 * 1024
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        left -= chunk.length
        if (!res.write(chunk)) { res.once('drain', pump); return }
      }
      if (left <= 0) res.end(() => { finished = true })
    }
    pump()
  })
  await new Promise<void>(r => endless.listen(0, '127.0.0.1', r))
  const failures: string[] = []
  const keys = new RemoteJwks(`http://127.0.0.1:${(endless.address() as AddressInfo).port}/jwks.json`, line => failures.push(line))
  try {
    await eventually('the failed fetch', async () => failures.length > 0)
    assert.match(failures[0], /larger than 1 MiB/)
    assert.equal(finished, false, 'the gateway stopped reading instead of taking all 64 MiB')
  } finally { keys.close(); endless.close(); endless.closeAllConnections() }
})
