// Proxy credentials and join tokens as the control plane checks them: who a request speaks for, or
// why it is refused (without repeating what was sent).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { Credentials, type ProxyAuth } from './auth.js'
import { proxyNameOf, sameProxy, type ProxyName } from './proxy-credential.js'

const NOW = Date.UTC(2030, 0, 1)
const HOUR = 3600_000
const key = randomBytes(32)
const creds = new Credentials('admin-secret', key)
const api0: ProxyName = { kind: 'sidecar', workload: 'default/api', replica: 0, gateway: null }
const edge: ProxyName = { kind: 'gateway', workload: null, replica: null, gateway: 'default/edge' }

const credential = creds.createProxyCredential(api0, HOUR, NOW)
const [, body, sig] = credential.split('.')
const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>
const reBody = (change: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')
const flipped = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A')
const joinToken = creds.createJoinToken('default/api', HOUR, NOW)
/** A credential's body signed the way join tokens are, with the join key itself. */
const signedWithJoinKey = `tpc1.${body}.${createHmac('sha256', key).update('tpc1.').update(body).digest('base64url')}`

const cases: { name: string; presented: string; now?: number; checker?: Credentials; want: ProxyAuth | RegExp }[] = [
  { name: 'a credential speaks for the proxy it names', presented: credential, want: { via: 'credential', proxy: api0, exp: NOW + HOUR } },
  { name: 'a gateway\'s credential names the gateway', presented: creds.createProxyCredential(edge, HOUR, NOW), want: { via: 'credential', proxy: edge, exp: NOW + HOUR } },
  { name: 'a credential outlives the join token it was got with', presented: credential, now: NOW + HOUR - 1, want: { via: 'credential', proxy: api0, exp: NOW + HOUR } },
  { name: 'another replica with the same join key accepts it', presented: credential, checker: new Credentials('other-admin', Buffer.from(key)), want: { via: 'credential', proxy: api0, exp: NOW + HOUR } },
  { name: 'an expired credential is refused', presented: credential, now: NOW + HOUR, want: /^the proxy credential expired at 2030-01-01T01:00:00.000Z.*join again with a join token/ },
  { name: 'a credential with another workload put in is refused', presented: `tpc1.${reBody({ workload: 'default/payments' })}.${sig}`, want: /proxy credential is not valid/ },
  { name: 'a credential with another replica put in is refused', presented: `tpc1.${reBody({ replica: 1 })}.${sig}`, want: /proxy credential is not valid/ },
  { name: 'a credential with a later expiry put in is refused', presented: `tpc1.${reBody({ exp: NOW + 1000 * HOUR })}.${sig}`, want: /proxy credential is not valid/ },
  { name: 'a credential with a flipped signature is refused', presented: `tpc1.${body}.${flipped}`, want: /proxy credential is not valid/ },
  { name: 'a credential without a signature is refused', presented: `tpc1.${body}`, want: /proxy credential is not valid/ },
  { name: 'a credential signed with the join key itself is refused', presented: signedWithJoinKey, want: /proxy credential is not valid/ },
  { name: 'a join token dressed as a credential is refused', presented: `tpc1.${joinToken}`, want: /proxy credential is not valid/ },
  { name: 'a credential from another join key is refused', presented: credential, checker: new Credentials('admin-secret', randomBytes(32)), want: /made with another join key/ },
  { name: 'a credential of the wrong shape is refused', presented: new Credentials('a', key).createProxyCredential({ ...api0, workload: null }, HOUR, NOW), want: /proxy credential is not valid/ },
  { name: 'a join token limited to a Workload admits its sidecars', presented: joinToken, want: { via: 'join', workload: 'default/api', exp: NOW + HOUR } },
  { name: 'an expired join token is refused, saying so', presented: joinToken, now: NOW + HOUR, want: /^the join token expired at 2030-01-01T01:00:00.000Z; a new proxy needs a new one \(trellis token create\)$/ },
  { name: 'a credential is not a join token: its body without the prefix is refused', presented: credential.slice('tpc1.'.length), want: /^a valid join token is required$/ },
  { name: 'the admin token is a join token for any proxy', presented: 'admin-secret', want: { via: 'join', workload: null, exp: Infinity } },
  { name: 'no token at all is refused', presented: '', want: /join token is required/ },
]

for (const c of cases) {
  test(c.name, () => {
    const got = (c.checker ?? creds).authenticateProxy(c.presented ? `Bearer ${c.presented}` : undefined, c.now ?? NOW)
    if (c.want instanceof RegExp) {
      assert.ok('refused' in got, `accepted: ${JSON.stringify(got)}`)
      assert.match(got.refused, c.want)
      if (c.presented) assert.ok(!got.refused.includes(c.presented) && !got.refused.includes(sig), 'the refusal repeats no secret')
    } else assert.deepEqual(got, c.want)
  })
}

test('a proxy\'s name leaves out the fields its kind does not use, so a gateway cannot smuggle a workload in', () => {
  const gw = proxyNameOf({ kind: 'gateway', workload: 'default/api', replica: 0, gateway: 'default/edge' })
  assert.deepEqual(gw, edge)
  assert.ok(sameProxy(proxyNameOf({ kind: 'sidecar', workload: 'default/api', replica: 0, gateway: 'default/edge' }), api0))
  assert.ok(!sameProxy(api0, { ...api0, replica: 1 }))
  assert.ok(!sameProxy(api0, { ...api0, workload: 'default/payments' }))
})
