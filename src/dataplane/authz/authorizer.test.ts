import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileAuthorizationPolicy, identityPattern } from '../../compiler/authorization-ir.js'
import { mergeAuthorization } from '../../ir/authorization.js'
import type { AuthorizationPolicySpec } from '../../resources/authorization-policy.js'
import { Authorizer, pathMatches } from './authorizer.js'

const TD = 'trellis.local'
const id = (sa: string, ns = 'default') => `spiffe://${TD}/ns/${ns}/sa/${sa}`
const policy = (name: string, spec: Partial<AuthorizationPolicySpec>) =>
  compileAuthorizationPolicy(`default/${name}`, 'default', { targetRef: { kind: 'Service', name: 'x' }, action: 'ALLOW', rules: [], ...spec } as AuthorizationPolicySpec, TD)

test('identities in a policy: names, ns/name, gateway, SPIFFE IDs and gateway callers', () => {
  assert.equal(identityPattern('orders', 'shop', TD), id('orders', 'shop'))
  assert.equal(identityPattern('billing/ledger', 'shop', TD), id('ledger', 'billing'))
  assert.equal(identityPattern('gateway', 'shop', TD), `${id('gateway-', 'shop')}*`)
  assert.equal(identityPattern('spiffe://other/ns/a/sa/b', 'shop', TD), 'spiffe://other/ns/a/sa/b')
  assert.equal(identityPattern('anonymous', 'shop', TD), 'anonymous')
  assert.equal(identityPattern('gateway:alice', 'shop', TD), 'gateway:alice')
})

test('paths: ASCII case-insensitive, a trailing slash ignored, /x/* below /x at any depth, * anything', () => {
  const a = new Authorizer(policy('p', { rules: [{ to: [{ paths: ['/Payments', '/payments/*'] }] }] }))
  for (const ok of ['/payments', '/PAYMENTS', '/payments/', '/payments/1', '/payments/1/refunds/', '/Payments/X']) assert.equal(a.check(null, 'GET', ok), null, ok)
  for (const no of ['/payment', '/paymentsx', '/other', '/', '/x/payments']) assert.notEqual(a.check(null, 'GET', no), null, no)
  assert.ok(pathMatches('*', '/anything/at/all'))
  assert.ok(!pathMatches('/x/*', '/x'), '/x/* is below /x, not /x itself')
  for (const ok of ['/admin', '/admin/x', '/administrator']) assert.ok(pathMatches('/admin*', ok), `/admin* is a prefix: ${ok}`)
  assert.ok(!pathMatches('/admin*', '/admi'))
})

test('ALLOW: what no rule allows is denied; rules combine from, methods and paths', () => {
  const a = new Authorizer(policy('callers', { rules: [
    { from: [{ identities: ['orders'] }, { identities: ['gateway'] }], to: [{ methods: ['GET', 'POST'], paths: ['/payments'] }] },
    { from: [{ identities: ['auditor'] }] },
  ] }))
  assert.equal(a.check(id('orders'), 'POST', '/payments'), null)
  assert.equal(a.check(id('gateway-edge'), 'GET', '/payments'), null)
  assert.match(a.check(id('orders'), 'DELETE', '/payments')!, /not allowed by AuthorizationPolicy default\/callers/)
  assert.notEqual(a.check(id('web'), 'GET', '/payments'), null)
  assert.notEqual(a.check(null, 'GET', '/payments'), null, 'no identity matches no identity rule')
  assert.equal(a.check(id('auditor'), 'PATCH', '/anything'), null, 'a rule without `to` allows every request of its callers')
  assert.notEqual(a.check(id('orders', 'other-ns'), 'GET', '/payments'), null, 'names are in the policy\'s namespace')
})

test('DENY is evaluated before ALLOW; without an ALLOW policy the rest is allowed; an empty ALLOW denies all', () => {
  const allow = policy('allow', { rules: [{ from: [{ identities: ['orders'] }] }] })
  const deny = policy('deny', { action: 'DENY', rules: [{ to: [{ paths: ['/admin/*'] }] }] })
  const both = new Authorizer(mergeAuthorization([allow, deny])!)
  assert.match(both.check(id('orders'), 'GET', '/admin/users')!, /denied by AuthorizationPolicy default\/allow, default\/deny/)
  assert.equal(both.check(id('orders'), 'GET', '/orders'), null)
  const denyOnly = new Authorizer(deny)
  assert.equal(denyOnly.check(null, 'GET', '/orders'), null)
  assert.notEqual(denyOnly.check(null, 'GET', '/admin/x'), null)
  const empty = new Authorizer(policy('nobody', { rules: [] }))
  assert.notEqual(empty.check(id('orders'), 'GET', '/'), null)
})

test('a TCP connection (no method or path): ALLOW rules with `to` never match, DENY rules ignore `to`', () => {
  const a = new Authorizer(policy('tcp', { rules: [{ from: [{ identities: ['orders'] }] }, { from: [{ identities: ['web'] }], to: [{ paths: ['*'] }] }] }))
  assert.equal(a.check(id('orders'), null, null), null)
  assert.notEqual(a.check(id('web'), null, null), null)
  const deny = new Authorizer(policy('d', { action: 'DENY', rules: [{ to: [{ methods: ['GET'] }] }] }))
  assert.notEqual(deny.check(id('web'), null, null), null, 'an HTTP-only DENY rule denies the whole connection')
})
