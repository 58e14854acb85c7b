// SecurityPolicy on real sockets, through a real gateway: JWT (a JWKS file, and a JWKS URL served by a
// local server with key rotation), API keys from a hashed keys file, either one authenticating, the
// consumer reaching the app (and forged consumer headers stripped), AuthorizationPolicy and
// RateLimitPolicy judging `gateway:<consumer>`, CORS, and the audit log.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { connect as h2connect } from 'node:http2'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT, UnsecuredJWT } from 'jose'
import type { Backend } from './harness/backends.js'
import { TestMesh } from './harness/mesh.js'
import { eventually, get, type Reply } from './harness/http.js'
import { ISSUER, jwksText, testIssuer, type TestIssuer } from './harness/jwt.js'
import { hashApiKey } from '../gateway/security/api-keys.js'
import { freePort } from '../supervisor/free-port.js'

const APP = 'https://app.test'
const KEYS = { alice: 'ak_alice_0123456789abcdef', bob: 'ak_bob_fedcba9876543210' }

const config = (p: { main: number; partners: number }, jwksUrl: string) => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: 80, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: web, labels: { app: web } }
spec: { command: [x], upstreams: [{ service: api }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
    - { name: main, port: ${p.main}, protocol: HTTP }
    - { name: partners, port: ${p.partners}, protocol: HTTP }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-api }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-public }
spec:
  parentRefs: [{ name: edge, sectionName: main }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /public } }], backendRefs: [{ name: api, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-limited }
spec:
  parentRefs: [{ name: edge, sectionName: main }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /limited } }], backendRefs: [{ name: api, port: 80 }] }]
---
apiVersion: trellis.dev/v1alpha1
kind: SecurityPolicy
metadata: { name: edge-auth }
spec:
  targetRef: { kind: Gateway, name: edge }
  jwt:
    providers:
      - name: main
        issuer: ${ISSUER}
        audiences: [api]
        jwks: { file: jwks.json }
        claimToHeaders: [{ claim: email, header: x-user-email }]
  apiKey: { keysFile: api-keys.yaml }
  cors:
    allowOrigins: [${APP}]
    allowMethods: [GET, POST]
    allowHeaders: [content-type, authorization]
    exposeHeaders: [x-total]
    allowCredentials: true
    maxAge: 10m
  audit: { file: audit.log }
---
apiVersion: trellis.dev/v1alpha1
kind: SecurityPolicy
metadata: { name: partners }
spec:
  targetRef: { kind: Gateway, name: edge, sectionName: partners }
  jwt:
    optional: true
    providers: [{ name: idp, issuer: ${ISSUER}, jwks: { url: "${jwksUrl}" } }]
---
apiVersion: trellis.dev/v1alpha1
kind: SecurityPolicy
metadata: { name: public }
spec:
  targetRef: { kind: HTTPRoute, name: edge-public }
  cors: { allowOrigins: ["*"] }
---
apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: { name: edge-admin }
spec:
  targetRef: { kind: Gateway, name: edge }
  action: DENY
  rules: [{ from: [{ identities: [anonymous, "gateway:bob"] }], to: [{ paths: [/admin/*] }] }]
---
apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: { name: reports }
spec:
  targetRef: { kind: HTTPRoute, name: edge-api }
  action: DENY
  rules: [{ from: [{ identities: ["gateway:carol"] }], to: [{ paths: [/reports/*] }] }]
---
apiVersion: trellis.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: per-consumer }
spec:
  targetRef: { kind: HTTPRoute, name: edge-limited }
  limits: [{ key: consumer, requests: 2, per: 1m }]
`

const mesh = new TestMesh()
let api: Backend
let main = '', partners = '', webApi = '', mainPort = 0
let idp: TestIssuer, rotated: TestIssuer, stranger: TestIssuer, remote1: TestIssuer, remote2: TestIssuer
let jwksServer: Server, jwksServed = '', jwksFetches = 0
let attackerServer: Server, attackerHits = 0, attackerUrl = ''

before(async () => {
  ;[idp, rotated, stranger, remote1, remote2] = await Promise.all([
    testIssuer('idp-1'), testIssuer('idp-2', 'RS256'), testIssuer('idp-1'), testIssuer('r-1', 'EdDSA'), testIssuer('r-2'),
  ])
  jwksServed = jwksText(remote1)
  jwksServer = createServer((_req, res) => { jwksFetches++; res.setHeader('content-type', 'application/json'); res.end(jwksServed) })
  attackerServer = createServer((_req, res) => { attackerHits++; res.end(jwksText(stranger)) })
  await Promise.all([jwksServer, attackerServer].map(s => new Promise<void>(r => s.listen(0, '127.0.0.1', r))))
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}/jwks.json`
  await mesh.start()
  writeFileSync(join(mesh.stateDir, 'jwks.json'), jwksText(idp))
  writeFileSync(join(mesh.stateDir, 'api-keys.yaml'),
    `keys:\n  - { name: alice, sha256: ${hashApiKey(KEYS.alice)} }\n  - { name: bob, sha256: ${hashApiKey(KEYS.bob)} }\n`)
  const ports = { main: await freePort(), partners: await freePort() }
  await mesh.apply(config(ports, `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`))
  api = (await mesh.replica('api', 0)).backend
  const web = (await mesh.replica('web', 0)).sidecar
  await mesh.gateway('edge')
  await mesh.settled()
  mainPort = ports.main
  main = `http://127.0.0.1:${ports.main}`
  partners = `http://127.0.0.1:${ports.partners}`
  webApi = `http://127.0.0.1:${web.outboundPort('default/api')}`
})
after(async () => { await mesh.stop(); jwksServer.close(); attackerServer.close() })

const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra })
const seen = (r: Reply) => r.json().headers as Record<string, string | undefined>

async function refused(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  const hits = api.hits
  const r = await get(url, headers, method)
  assert.equal(r.status, 401, `${method} ${url}: ${r.status} ${r.body}`)
  assert.equal(r.headers['x-trellis-reason'], 'unauthenticated')
  assert.equal(api.hits, hits, 'a refused request never reaches the app')
  return r
}

test('a valid token passes; the app sees the consumer and forwarded claims, never client-sent copies', async () => {
  const token = await idp.sign({ sub: 'alice', email: 'alice@example.com' }, { audience: 'api' })
  const r = await get(`${main}/items`, bearer(token, { 'x-trellis-consumer': 'root', 'x-user-email': 'forged@evil.test' }))
  assert.equal(r.status, 200, r.body)
  assert.equal(seen(r)['x-trellis-consumer'], 'alice', 'through the gateway and the api sidecar, the app sees who authenticated')
  assert.equal(seen(r)['x-user-email'], 'alice@example.com')
  assert.match(String(seen(r)['x-trellis-peer-identity']), /\/sa\/gateway-edge$/)
  // An API key authenticates without a token: the client's x-user-email does not pass for a claim.
  const k = await get(`${main}/items`, { 'x-api-key': KEYS.alice, 'x-user-email': 'forged@evil.test' })
  assert.equal(k.status, 200)
  assert.equal(seen(k)['x-user-email'], undefined)
})

test('bad tokens are refused with 401 unauthenticated', async () => {
  const now = Math.floor(Date.now() / 1000)
  const secret = new TextEncoder().encode('a-shared-secret-the-gateway-never-holds')
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['expired', () => idp.sign({}, { audience: 'api', expiresIn: now - 3600 }), /token expired/],
    ['wrong issuer', () => idp.sign({}, { audience: 'api', issuer: 'https://evil.test' }), /issuer not accepted/],
    ['wrong audience', () => idp.sign({}, { audience: 'billing' }), /aud claim not accepted/],
    ['unknown key', () => stranger.sign({}, { audience: 'api', header: { kid: 'nobody' } }), /no key/],
    ['HS256', () => new SignJWT({ sub: 'alice', aud: 'api' }).setProtectedHeader({ alg: 'HS256', kid: 'idp-1' }).setIssuer(ISSUER).setExpirationTime('5m').sign(secret), /algorithm not allowed/],
    ['alg none', async () => new UnsecuredJWT({ sub: 'alice', aud: 'api' }).setIssuer(ISSUER).setExpirationTime('5m').encode(), /algorithm not allowed|malformed/],
    ['jku pointing at the attacker\'s keys', () => stranger.sign({}, { audience: 'api', header: { kid: 'evil', jku: attackerUrl, x5u: attackerUrl } }), /no key/],
    ['the trusted kid, signed by another key, with a jku', () => stranger.sign({}, { audience: 'api', header: { jku: attackerUrl } }), /signature invalid/],
    ['garbage', async () => 'x.y.z', /malformed/],
  ]
  for (const [name, make, why] of cases) {
    const r = await refused(`${main}/items`, bearer(await make()))
    assert.match(r.body, why, name)
    assert.equal(r.headers['www-authenticate'], 'Bearer', name)
  }
  assert.equal(attackerHits, 0, 'the gateway never fetched a key from a URL in a token')
  assert.match((await refused(`${main}/items`)).body, /no credential/)
})

test('API keys: a listed key authenticates as its name; a wrong key does not; the key is not forwarded', async () => {
  const r = await get(`${main}/items`, { 'x-api-key': KEYS.bob })
  assert.equal(r.status, 200)
  assert.equal(seen(r)['x-trellis-consumer'], 'bob')
  assert.equal(seen(r)['x-api-key'], undefined)
  await refused(`${main}/items`, { 'x-api-key': 'ak_guess' })
  await refused(`${main}/items`, { 'x-api-key': hashApiKey(KEYS.bob) })
})

test('with jwt and apiKey, either one authenticates', async () => {
  const token = await idp.sign({ sub: 'carol' }, { audience: 'api' })
  const byToken = await get(`${main}/items`, bearer(token, { 'x-api-key': 'wrong' }))
  assert.equal(byToken.status, 200)
  assert.equal(seen(byToken)['x-trellis-consumer'], 'carol')
  const byKey = await get(`${main}/items`, bearer('not.a.token', { 'x-api-key': KEYS.alice }))
  assert.equal(byKey.status, 200)
  assert.equal(seen(byKey)['x-trellis-consumer'], 'alice')
  await refused(`${main}/items`, bearer('not.a.token', { 'x-api-key': 'wrong' }))
})

test('AuthorizationPolicy at the Gateway and on a route judges gateway:<consumer>', async () => {
  const as = async (sub: string) => bearer(await idp.sign({ sub }, { audience: 'api' }))
  assert.equal((await get(`${main}/admin/users`, await as('alice'))).status, 200)
  const bob = await get(`${main}/admin/users`, await as('bob'))
  assert.equal(bob.status, 403)
  assert.equal(bob.headers['x-trellis-reason'], 'denied')
  assert.equal((await get(`${main}/admin/users`, { 'x-api-key': KEYS.bob })).status, 403, 'an API key consumer is judged by its name too')
  assert.equal((await get(`${partners}/admin/users`)).status, 403, 'an anonymous caller is `anonymous`')
  assert.equal((await get(`${main}/reports/q3`, await as('carol'))).status, 403, 'the route policy sees the consumer')
  assert.equal((await get(`${main}/reports/q3`, await as('alice'))).status, 200)
})

test('RateLimitPolicy keyed by consumer counts each authenticated consumer apart', async () => {
  const alice = { 'x-api-key': KEYS.alice }, bob = { 'x-api-key': KEYS.bob }
  assert.equal((await get(`${main}/limited`, alice)).status, 200)
  assert.equal((await get(`${main}/limited`, alice)).status, 200)
  const third = await get(`${main}/limited`, alice)
  assert.equal(third.status, 429)
  assert.equal((await get(`${main}/limited`, bob)).status, 200, 'bob has his own bucket, though he calls from the same address')
})

test('optional: no token passes as anonymous, a bad token is still refused (listener policy replaces the Gateway\'s)', async () => {
  const anon = await get(`${partners}/items`, { 'x-trellis-consumer': 'root', 'x-api-key': KEYS.alice })
  assert.equal(anon.status, 200)
  assert.equal(seen(anon)['x-trellis-consumer'], undefined, 'anonymous: no consumer, and the forged one is gone')
  assert.equal(seen(anon)['x-api-key'], KEYS.alice, 'this listener\'s policy has no apiKey: the header is the app\'s business')
  await refused(`${partners}/items`, bearer('x.y.z'))
  // Expired, under a kid the URL's set has (an unknown kid would spend the refresh the next test counts).
  await refused(`${partners}/items`, bearer(await remote1.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 })))
  const ok = await get(`${partners}/items`, bearer(await remote1.sign({ sub: 'dave' })))
  assert.equal(ok.status, 200)
  assert.equal(seen(ok)['x-trellis-consumer'], 'dave')
})

test('a JWKS URL: cached, refetched once when a token names a new kid, not again within 10 s', async () => {
  const token1 = await remote1.sign({ sub: 'dave' })
  assert.equal((await get(`${partners}/items`, bearer(token1))).status, 200)
  const before = jwksFetches
  assert.equal((await get(`${partners}/items`, bearer(token1))).status, 200)
  assert.equal(jwksFetches, before, 'a known kid is served from the cache')
  jwksServed = jwksText(remote1, remote2)                        // the issuer rotates in a new key
  assert.equal((await get(`${partners}/items`, bearer(await remote2.sign({ sub: 'erin' })))).status, 200)
  assert.equal(jwksFetches, before + 1, 'one refresh for the new kid')
  await refused(`${partners}/items`, bearer(await stranger.sign({}, { header: { kid: 'never' } })))
  assert.equal(jwksFetches, before + 1, 'another unknown kid within 10 s does not fetch again')
})

test('a JWKS file and the keys file are reloaded when they change', async () => {
  writeFileSync(join(mesh.stateDir, 'jwks.json'), jwksText(idp, rotated))
  const token = await rotated.sign({ sub: 'frank' }, { audience: 'api' })
  await eventually('the rotated JWKS file', async () => (await get(`${main}/items`, bearer(token))).status === 200)
  writeFileSync(join(mesh.stateDir, 'api-keys.yaml'), `keys:\n  - { name: alice, sha256: ${hashApiKey(KEYS.alice)} }\n  - { name: gina, sha256: ${hashApiKey('ak_gina_new')} }\n`)
  await eventually('the new keys file', async () => (await get(`${main}/items`, { 'x-api-key': 'ak_gina_new' })).status === 200)
  await refused(`${main}/items`, { 'x-api-key': KEYS.bob })       // removed from the file
})

test('CORS: preflights are answered at the gateway before authentication', async () => {
  const hits = api.hits
  const ok = await get(`${main}/items`, { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'Content-Type, Authorization' }, 'OPTIONS')
  assert.equal(ok.status, 204)
  assert.equal(ok.headers['access-control-allow-origin'], APP)
  assert.equal(ok.headers['access-control-allow-methods'], 'GET, POST')
  assert.equal(ok.headers['access-control-allow-headers'], 'content-type, authorization')
  assert.equal(ok.headers['access-control-allow-credentials'], 'true')
  assert.equal(ok.headers['access-control-max-age'], '600')
  const disallowed: Record<string, string>[] = [
    { origin: 'https://evil.test', 'access-control-request-method': 'GET' },
    { origin: APP, 'access-control-request-method': 'DELETE' },
    { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-secret' },
  ]
  for (const bad of disallowed) {
    const r = await get(`${main}/items`, bad, 'OPTIONS')
    assert.equal(r.status, 204, JSON.stringify(bad))
    assert.equal(r.headers['access-control-allow-origin'], undefined, JSON.stringify(bad))
    assert.equal(r.headers['access-control-allow-methods'], undefined, JSON.stringify(bad))
  }
  assert.equal(api.hits, hits, 'no preflight reached the app')
  await refused(`${main}/items`, { origin: APP }, 'OPTIONS')     // not a preflight: an ordinary request, authenticated
})

test('CORS: actual requests get the allow headers and Vary: Origin, also on the mesh\'s own 401', async () => {
  const r = await get(`${main}/items`, { origin: APP, 'x-api-key': KEYS.alice })
  assert.equal(r.status, 200)
  assert.equal(r.headers['access-control-allow-origin'], APP)
  assert.equal(r.headers['access-control-allow-credentials'], 'true')
  assert.equal(r.headers['access-control-expose-headers'], 'x-total')
  assert.match(String(r.headers.vary), /Origin/)
  const denied = await refused(`${main}/items`, { origin: APP })
  assert.equal(denied.headers['access-control-allow-origin'], APP, 'the browser may read the 401')
  const other = await get(`${main}/items`, { origin: 'https://evil.test', 'x-api-key': KEYS.alice })
  assert.equal(other.status, 200)
  assert.equal(other.headers['access-control-allow-origin'], undefined)
  assert.match(String(other.headers.vary), /Origin/)
  // A route's own SecurityPolicy (CORS only) replaces the Gateway's: no credentials needed there.
  const pub = await get(`${main}/public/page`, { origin: 'https://anyone.test' })
  assert.equal(pub.status, 200)
  assert.equal(pub.headers['access-control-allow-origin'], '*')
  assert.equal(seen(pub)['x-trellis-consumer'], undefined)
})

test('HTTP/2 clients and WebSocket upgrades go through the same policy', async () => {
  const session = h2connect(main)
  try {
    const ask = (headers: Record<string, string>) => new Promise<{ status: number; acao: unknown; body: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/items', ...headers })
      let body = '', status = 0, acao: unknown
      s.on('response', h => { status = Number(h[':status']); acao = h['access-control-allow-origin'] })
      s.on('data', c => { body += c })
      s.on('end', () => resolve({ status, acao, body }))
      s.on('error', reject)
    })
    const ok = await ask({ 'x-api-key': KEYS.alice, origin: APP })
    assert.equal(ok.status, 200)
    assert.equal(ok.acao, APP)
    assert.equal(JSON.parse(ok.body).headers['x-trellis-consumer'], 'alice')
    assert.equal((await ask({})).status, 401)
  } finally { session.close() }
  const head = await new Promise<string>(resolve => {
    let got = ''
    const s = connect(mainPort, '127.0.0.1', () => s.write('GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n'))
    s.on('data', c => { got += c })
    s.on('close', () => resolve(got))
    s.on('error', () => resolve(got))
  })
  assert.match(head, /^HTTP\/1\.1 401 /)
  assert.match(head, /x-trellis-reason: unauthenticated/)
})

test('x-trellis-consumer reaches an app only from a Gateway: a mesh workload cannot forge it', async () => {
  const r = await get(`${webApi}/items`, { 'x-trellis-consumer': 'admin' })
  assert.equal(r.status, 200)
  assert.match(String(seen(r)['x-trellis-peer-identity']), /\/sa\/web$/)
  assert.equal(seen(r)['x-trellis-consumer'], undefined)
})

test('the audit log has one line per request that reached the policy, and no credential', async () => {
  const token = await idp.sign({ sub: 'alice' }, { audience: 'api' })
  const marker = `/audit-${Date.now()}`
  assert.equal((await get(`${main}${marker}/ok?api_key=${KEYS.bob}`, bearer(token, { cookie: 'session=cookie-secret-value' }))).status, 200)
  await refused(`${main}${marker}/refused`, { 'x-api-key': 'ak_wrong_guess_123' })
  assert.equal((await get(`${main}${marker}/pre`, { origin: APP, 'access-control-request-method': 'GET' }, 'OPTIONS')).status, 204)
  assert.equal((await get(`${main}${marker}/bob`, bearer(await idp.sign({ sub: 'bob' }, { audience: 'api' })))).status, 200)
  const read = () => readFileSync(join(mesh.stateDir, 'audit.log'), 'utf8')
  const lines = await eventually('the audit lines', async () => {
    const mine = read().trimEnd().split('\n').map(l => JSON.parse(l)).filter(l => String(l.path).startsWith(marker))
    return mine.length >= 4 ? mine : null
  })
  assert.equal(lines.length, 4)
  const by = (suffix: string) => lines.find(l => l.path === `${marker}${suffix}`)
  assert.deepEqual({ ...by('/ok'), time: 'T', requestId: 'R' }, {
    time: 'T', consumer: 'alice', client: '127.0.0.1', method: 'GET', path: `${marker}/ok`, route: 'default/edge-api', status: 200, reason: null, requestId: 'R',
  })
  assert.deepEqual([by('/refused').consumer, by('/refused').status, by('/refused').reason], [null, 401, 'unauthenticated'])
  assert.deepEqual([by('/pre').method, by('/pre').status], ['OPTIONS', 204])
  assert.equal(by('/bob').consumer, 'bob')
  const text = read()
  for (const secret of [token, KEYS.bob, KEYS.alice, 'ak_wrong_guess_123', 'cookie-secret-value', 'Bearer', 'api_key']) {
    assert.ok(!text.includes(secret), `the audit log holds no ${secret.slice(0, 12)}…`)
  }
  assert.ok(!text.includes('eyJ'), 'no part of any token either')
})

test('a client-sent x-request-id is cut short in the audit log, so no client can make its lines huge', async () => {
  const marker = `/audit-long-id-${Date.now()}`
  const id = `id-${'x'.repeat(8000)}`
  const r = await get(`${main}${marker}`, { 'x-api-key': KEYS.alice, 'x-request-id': id })
  assert.equal(r.status, 200)
  assert.equal(seen(r)['x-request-id'], id, 'the app still gets the id as sent')
  const line = await eventually('the audit line', async () =>
    readFileSync(join(mesh.stateDir, 'audit.log'), 'utf8').split('\n').find(l => l.includes(marker)))
  assert.ok(line.length < 1024, `an audit line of ${line.length} characters`)
  assert.equal(JSON.parse(line).requestId, id.slice(0, 128))
})
