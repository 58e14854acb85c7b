import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { makeEndpoints } from './contract.test-suite.js'
import { LeastRequestBalancer } from './least-request.js'

test('least-request: steers away from a busy endpoint', () => {
  const eps = makeEndpoints(5)
  for (let i = 0; i < 50; i++) eps[2].stats.onStart(0)
  const b = new LeastRequestBalancer(eps, { random: mulberry32(3), now: () => 0 })
  let busy = 0
  for (let i = 0; i < 1000; i++) if (b.pick(null, null) === eps[2]) busy++
  // P2C: the busy endpoint can only win against itself, which distinct draws never allow.
  assert.equal(busy, 0)
})

test('least-request: in-flight counts drive an even spread under load', () => {
  const eps = makeEndpoints(4)
  const b = new LeastRequestBalancer(eps, { random: mulberry32(11), now: () => 0 })
  for (let i = 0; i < 400; i++) b.pick(null, null)!.stats.onStart(0)   // nothing ends
  const loads = eps.map(e => e.stats.inflight)
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 3, `loads=${loads}`)
})

test('least-request: stats survive a rebuild (they live on the endpoint)', () => {
  const eps = makeEndpoints(3)
  for (let i = 0; i < 10; i++) eps[0].stats.onStart(0)
  const rebuilt = new LeastRequestBalancer([eps[0], eps[1]], { random: mulberry32(1), now: () => 0 })
  for (let i = 0; i < 50; i++) assert.equal(rebuilt.pick(null, null), eps[1])
})
