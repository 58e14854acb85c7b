import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PeerCertificate } from 'node:tls'
import { checkPeerIdentity, spiffeIdOf } from './peer-identity.js'

test('spiffeIdOf reads the first spiffe URI of a subjectAltName, ignoring other names', () => {
  assert.equal(spiffeIdOf('URI:spiffe://td/ns/a/sa/b'), 'spiffe://td/ns/a/sa/b')
  assert.equal(spiffeIdOf('DNS:example.com, URI:https://x, URI:spiffe://td/ns/a/sa/c'), 'spiffe://td/ns/a/sa/c')
  assert.equal(spiffeIdOf('DNS:spiffe://not-a-uri'), null)
  assert.equal(spiffeIdOf(''), null)
  assert.equal(spiffeIdOf(undefined), null)
})

test('checkPeerIdentity accepts only the expected identity (any mesh identity when none is expected)', () => {
  const cert = (san: string | undefined) => ({ subjectaltname: san } as PeerCertificate)
  assert.equal(checkPeerIdentity('spiffe://td/ns/a/sa/b', cert('URI:spiffe://td/ns/a/sa/b')), undefined)
  assert.match(checkPeerIdentity('spiffe://td/ns/a/sa/b', cert('URI:spiffe://td/ns/a/sa/evil'))!.message, /peer is spiffe:\/\/td\/ns\/a\/sa\/evil, expected spiffe:\/\/td\/ns\/a\/sa\/b/)
  assert.match(checkPeerIdentity(null, cert('DNS:localhost'))!.message, /names no SPIFFE ID/)
  assert.equal(checkPeerIdentity(null, cert('URI:spiffe://td/ns/x/sa/y')), undefined)
})
