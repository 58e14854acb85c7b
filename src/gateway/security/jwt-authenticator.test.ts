import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, SignJWT, UnsecuredJWT, base64url, generateKeyPair, exportJWK } from 'jose'
import type { JwtProviderIR } from '../../ir/security.js'
import { ISSUER, testIssuer, type TestIssuer } from '../../integration/harness/jwt.js'
import { parseJwks, type KeySource } from './jwks.js'
import { JwtAuthenticator } from './jwt-authenticator.js'

const provider = (over: Partial<JwtProviderIR> = {}): JwtProviderIR => ({
  name: 'main', issuer: ISSUER, audiences: ['api'], jwks: { file: '/dev/null', url: null }, fromHeaders: [], fromCookies: [],
  clockSkewMs: 60_000, claimToHeaders: [], ...over,
})
const keys = (...issuers: TestIssuer[]): KeySource => ({ getKey: createLocalJWKSet(parseJwks(JSON.stringify({ keys: issuers.map(i => i.jwk) }))), close() {} })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

let es: TestIssuer, rs: TestIssuer, ed: TestIssuer, attacker: TestIssuer
let auth: JwtAuthenticator
let attackerServer: Server, attackerHits = 0, attackerUrl = ''

before(async () => {
  ;[es, rs, ed, attacker] = await Promise.all([testIssuer('es'), testIssuer('rs', 'RS256'), testIssuer('ed', 'EdDSA'), testIssuer('es', 'ES256')])
  auth = new JwtAuthenticator([{ ir: provider(), keys: keys(es, rs, ed) }])
  attackerServer = createServer((_req, res) => { attackerHits++; res.end(JSON.stringify({ keys: [attacker.jwk] })) })
  await new Promise<void>(r => attackerServer.listen(0, '127.0.0.1', r))
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}/jwks.json`
})
after(() => attackerServer.close())

async function check(headers: Record<string, string>, a = auth) {
  const found = a.tokensOf(headers)
  return found.length === 0 ? { ok: false as const, detail: 'absent' } : a.verify(found)
}

test('valid tokens of every asymmetric family verify; the consumer is sub', async () => {
  for (const issuer of [es, rs, ed]) {
    const r = await check(bearer(await issuer.sign({ sub: `user-${issuer.alg}` }, { audience: 'api' })))
    assert.ok(r.ok, `${issuer.alg}: ${r.ok ? '' : r.detail}`)
    assert.equal(r.ok && r.consumer, `user-${issuer.alg}`)
  }
})

test('claims: issuer, audience, expiry within the clock skew, sub required', async () => {
  const now = Math.floor(Date.now() / 1000)
  const cases: { name: string; token: () => Promise<string>; want: string | null }[] = [
    { name: 'any listed audience', token: () => es.sign({}, { audience: ['other', 'api'] }), want: null },
    { name: 'wrong audience', token: () => es.sign({}, { audience: 'billing' }), want: 'token aud claim not accepted' },
    { name: 'no audience', token: () => es.sign({}), want: 'token aud claim missing' },
    { name: 'wrong issuer', token: () => es.sign({}, { audience: 'api', issuer: 'https://evil.test' }), want: 'token issuer not accepted' },
    { name: 'expired beyond the skew', token: () => es.sign({}, { audience: 'api', expiresIn: now - 120 }), want: 'token expired' },
    { name: 'expired within the skew', token: () => es.sign({}, { audience: 'api', expiresIn: now - 30 }), want: null },
    { name: 'not valid yet', token: () => es.sign({ nbf: now + 300 }, { audience: 'api' }), want: 'token nbf claim not accepted' },
    { name: 'no sub', token: () => es.sign({ sub: undefined }, { audience: 'api' }), want: 'token sub claim missing' },
    { name: 'a sub that cannot be a header value', token: () => es.sign({ sub: 'al ice\r\nx-admin: 1' }, { audience: 'api' }), want: 'token sub is not a usable consumer name' },
    { name: 'malformed', token: async () => 'not.a.jwt', want: 'malformed token' },
  ]
  for (const c of cases) {
    const r = await check(bearer(await c.token()))
    assert.equal(r.ok ? null : r.detail, c.want, c.name)
  }
})

test('symmetric and unsigned tokens are refused before any key is looked up', async () => {
  const secret = new Uint8Array(32).fill(7)
  // Even with the secret published as an `oct` key in the set, HS256 is not accepted.
  const withOct: KeySource = { getKey: createLocalJWKSet({ keys: [{ kty: 'oct', k: base64url.encode(secret), kid: 'hs', alg: 'HS256' }, es.jwk] }), close() {} }
  const a = new JwtAuthenticator([{ ir: provider({ audiences: null }), keys: withOct }])
  const hs = await new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'HS256', kid: 'hs' }).setIssuer(ISSUER).setExpirationTime('5m').sign(secret)
  assert.deepEqual(await check(bearer(hs), a), { ok: false, detail: 'token algorithm not allowed' })
  const none = new UnsecuredJWT({ sub: 'mallory' }).setIssuer(ISSUER).setExpirationTime('5m').encode()
  const r = await check(bearer(none), a)
  assert.ok(!r.ok && /algorithm not allowed|malformed/.test(r.detail), r.ok ? 'accepted' : r.detail)
  assert.equal(parseJwks(JSON.stringify({ keys: [{ kty: 'oct', k: 'AAAA' }] })).keys.length, 0, 'oct keys never enter a key set')
})

test('keys named by the token itself (jku, x5u, jwk) are never used or fetched', async () => {
  // The attacker signs with its own key under a kid the set does not have, and points at its key.
  const stranger = await testIssuer('attacker-kid')
  const jku = await stranger.sign({}, { audience: 'api', header: { jku: attackerUrl, x5u: attackerUrl } })
  assert.deepEqual(await check(bearer(jku)), { ok: false, detail: 'no key for the token' })
  const { publicKey } = await generateKeyPair('ES256')
  const embedded = await stranger.sign({}, { audience: 'api', header: { jwk: await exportJWK(publicKey) } })
  assert.equal((await check(bearer(embedded))).ok, false)
  // Same kid as a trusted key, signed by another key: the trusted key's signature check fails.
  const sameKid = await attacker.sign({}, { audience: 'api', header: { jku: attackerUrl } })
  assert.deepEqual(await check(bearer(sameKid)), { ok: false, detail: 'token signature invalid' })
  assert.equal(attackerHits, 0, 'nothing was fetched from a URL in a token')
})

test('providers: each reads its own locations, and a token goes to the provider of its issuer', async () => {
  const other = await testIssuer('other', 'ES256', 'https://other.test')
  const a = new JwtAuthenticator([
    { ir: provider({ audiences: null }), keys: keys(es) },
    { ir: provider({ name: 'partners', issuer: 'https://other.test', audiences: null, fromHeaders: ['x-partner-token'] }), keys: keys(other) },
  ])
  const fromOther = await other.sign({ sub: 'partner-1' })
  const r1 = await check({ 'x-partner-token': fromOther }, a)
  assert.ok(r1.ok && r1.consumer === 'partner-1' && r1.provider.name === 'partners')
  assert.deepEqual(await check(bearer(fromOther), a), { ok: false, detail: 'token issuer not accepted' }, 'the main provider does not accept another issuer')
  assert.deepEqual(a.tokensOf({ cookie: 'x=1' }), [], 'no token anywhere')
  const r2 = await check({ ...bearer(await other.sign({}, { issuer: 'https://other.test' })), 'x-partner-token': await es.sign() }, a)
  assert.ok(!r2.ok, 'tokens in the wrong places fail')
})
