import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { makeEndpoints } from './contract.test-suite.js'
import { RandomBalancer } from './random.js'

// Chi-square with n-1 = 9 degrees of freedom: P(X > 27.88) = 0.001. The PRNG is seeded, so the
// test is deterministic; the bound just documents that the spread is what uniform would give.
const CHI2_9_P001 = 27.88

function chiSquare(counts: readonly number[], expected: number): number {
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
}

test('random: roughly uniform (chi-square bound)', () => {
  for (const seed of [1, 42, 1234]) {
    const eps = makeEndpoints(10)
    const b = new RandomBalancer(eps, { random: mulberry32(seed), now: () => 0 })
    const counts = new Array(10).fill(0)
    const picks = 20_000
    for (let i = 0; i < picks; i++) counts[eps.indexOf(b.pick(null, null)!)]++
    const x2 = chiSquare(counts, picks / 10)
    assert.ok(x2 < CHI2_9_P001, `seed=${seed} chi2=${x2.toFixed(2)} counts=${counts}`)
  }
})

test('random: with avoid, the others stay uniform', () => {
  const eps = makeEndpoints(4)
  const b = new RandomBalancer(eps, { random: mulberry32(5), now: () => 0 })
  const counts = new Array(4).fill(0)
  for (let i = 0; i < 9_000; i++) counts[eps.indexOf(b.pick(null, eps[0])!)]++
  assert.equal(counts[0], 0)
  // 2 degrees of freedom: P(X > 13.82) = 0.001.
  assert.ok(chiSquare(counts.slice(1), 3_000) < 13.82, `counts=${counts}`)
})
