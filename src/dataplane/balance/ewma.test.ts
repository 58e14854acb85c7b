import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { makeEndpoints } from './contract.test-suite.js'
import { EwmaBalancer } from './ewma.js'

test('ewma: steers away from a slow endpoint', () => {
  let clock = 0
  const eps = makeEndpoints(4)
  const b = new EwmaBalancer(eps, { random: mulberry32(8), now: () => clock })
  const latencyOf = (i: number) => (i === 1 ? 400 : 10)
  const counts = new Array(4).fill(0)
  for (let r = 0; r < 4000; r++) {
    clock += 1
    const e = b.pick(null, null)!
    const i = eps.indexOf(e)
    counts[i]++
    e.stats.onStart(clock)
    e.stats.onEnd(clock + latencyOf(i), latencyOf(i), true)
  }
  // The slow endpoint is sampled at first, then only rarely (its estimate decays until it is retried).
  assert.ok(counts[1] < 4000 * 0.05, `counts=${counts}`)
  for (const i of [0, 2, 3]) assert.ok(counts[i] > 4000 * 0.25, `counts=${counts}`)
})

test('ewma: new endpoints (no samples) get a neutral cost and are tried', () => {
  const eps = makeEndpoints(3)
  eps[0].stats.onEnd(0, 100, true)
  eps[1].stats.onEnd(0, 100, true)
  const b = new EwmaBalancer(eps, { random: mulberry32(2), now: () => 0 })
  let fresh = 0
  for (let i = 0; i < 300; i++) if (b.pick(null, null) === eps[2]) fresh++
  assert.ok(fresh > 150, `fresh picked ${fresh}/300`)
})

test('ewma: in-flight requests add cost (equal latency, one endpoint loaded)', () => {
  const eps = makeEndpoints(2)
  for (const e of eps) e.stats.onEnd(0, 20, true)
  for (let i = 0; i < 5; i++) eps[0].stats.onStart(0)
  const b = new EwmaBalancer(eps, { random: mulberry32(4), now: () => 0 })
  for (let i = 0; i < 20; i++) assert.equal(b.pick(null, null), eps[1])
})

test('ewma: a fast-failing endpoint is not mistaken for a fast one', () => {
  const eps = makeEndpoints(2)
  eps[0].stats.onEnd(0, 1, false)          // connection refused in 1 ms
  eps[1].stats.onEnd(0, 50, true)
  const b = new EwmaBalancer(eps, { random: mulberry32(4), now: () => 0 })
  for (let i = 0; i < 20; i++) assert.equal(b.pick(null, null), eps[1])
})
