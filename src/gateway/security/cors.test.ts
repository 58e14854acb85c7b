import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CorsIR } from '../../ir/security.js'
import { CorsPolicy, isPreflight, varyWithOrigin } from './cors.js'

const APP = 'https://app.example.com'
const cors = (over: Partial<CorsIR> = {}) => new CorsPolicy({
  allowOrigins: [APP], allowMethods: ['GET', 'POST'], allowHeaders: ['content-type'], exposeHeaders: [],
  allowCredentials: false, maxAgeMs: null, ...over,
})

test('preflight decisions: origin, method and requested headers must all be allowed', () => {
  const cases: { name: string; policy: CorsPolicy; origin: string; method: string; headers?: string; allowed: boolean }[] = [
    { name: 'listed origin and method', policy: cors(), origin: APP, method: 'POST', allowed: true },
    { name: 'origins match exactly (no prefix)', policy: cors(), origin: `${APP}.evil.com`, method: 'GET', allowed: false },
    { name: 'origins match exactly (scheme)', policy: cors(), origin: 'http://app.example.com', method: 'GET', allowed: false },
    { name: 'origins match exactly (port)', policy: cors(), origin: `${APP}:8443`, method: 'GET', allowed: false },
    { name: 'an unlisted method', policy: cors(), origin: APP, method: 'DELETE', allowed: false },
    { name: 'listed headers, any case', policy: cors(), origin: APP, method: 'POST', headers: 'Content-Type', allowed: true },
    { name: 'an unlisted header', policy: cors(), origin: APP, method: 'POST', headers: 'content-type, x-secret', allowed: false },
    { name: 'safelisted headers need no listing', policy: cors(), origin: APP, method: 'GET', headers: 'accept-language', allowed: true },
    { name: '* allows any origin', policy: cors({ allowOrigins: ['*'] }), origin: 'https://anyone.test', method: 'GET', allowed: true },
    { name: '* allows any method', policy: cors({ allowMethods: ['*'] }), origin: APP, method: 'PATCH', allowed: true },
    { name: '* allows any header', policy: cors({ allowHeaders: ['*'] }), origin: APP, method: 'GET', headers: 'x-a, x-b', allowed: true },
  ]
  for (const c of cases) assert.equal(c.policy.preflight(c.origin, c.method, c.headers) !== null, c.allowed, c.name)
})

test('an allowed preflight carries the allow headers, joined once at build time', () => {
  const h = cors({ allowCredentials: true, maxAgeMs: 600_000 }).preflight(APP, 'POST', 'content-type')!
  assert.deepEqual(h, {
    'access-control-allow-origin': APP, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type',
    'access-control-allow-credentials': 'true', 'access-control-max-age': '600', vary: 'Origin',
  })
  const any = cors({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] }).preflight(APP, 'PUT', 'X-A, x-b')!
  assert.equal(any['access-control-allow-origin'], '*')
  assert.equal(any['access-control-allow-methods'], 'PUT', '* echoes the method asked for')
  assert.equal(any['access-control-allow-headers'], 'x-a, x-b', '* echoes the headers asked for')
  assert.equal(any['access-control-allow-credentials'], undefined)
})

test('actual requests: the allowed origin, credentials and exposed headers', () => {
  const p = cors({ allowCredentials: true, exposeHeaders: ['x-total', 'x-page'] })
  assert.ok(p.allowsOrigin(APP))
  assert.ok(!p.allowsOrigin('https://evil.example.com'))
  assert.deepEqual(p.actual(APP), {
    'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-total, x-page',
  })
  assert.deepEqual(cors({ allowOrigins: ['*'] }).actual('https://x.test'), { 'access-control-allow-origin': '*' })
})

test('what counts as a preflight, and Vary', () => {
  assert.ok(isPreflight('OPTIONS', { origin: APP, 'access-control-request-method': 'POST' }))
  assert.ok(!isPreflight('OPTIONS', { origin: APP }), 'a plain OPTIONS request is an actual request')
  assert.ok(!isPreflight('OPTIONS', { 'access-control-request-method': 'POST' }))
  assert.ok(!isPreflight('POST', { origin: APP, 'access-control-request-method': 'POST' }))
  assert.equal(varyWithOrigin(undefined), 'Origin')
  assert.equal(varyWithOrigin('Accept-Encoding'), 'Accept-Encoding, Origin')
  assert.equal(varyWithOrigin('origin'), 'origin')
  assert.equal(varyWithOrigin('*'), '*')
})
