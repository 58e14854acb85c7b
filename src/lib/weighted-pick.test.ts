import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SmoothWeightedPicker } from './weighted-pick.js'

test('smooth weighted round-robin: exact proportions over each cycle', () => {
  const cases = [
    { name: 'nginx example 5/1/1', weights: [5, 1, 1] },
    { name: 'equal', weights: [1, 1, 1, 1] },
    { name: 'with a zero', weights: [3, 0, 2] },
    { name: 'canary 90/10', weights: [90, 10] },
    { name: 'single', weights: [7] },
  ]
  for (const c of cases) {
    const p = new SmoothWeightedPicker(c.weights)
    const total = c.weights.reduce((a, b) => a + b, 0)
    for (let cycle = 0; cycle < 3; cycle++) {
      const counts = c.weights.map(() => 0)
      for (let i = 0; i < total; i++) counts[p.next()]++
      assert.deepEqual(counts, c.weights, c.name)
    }
  }
})

test('smooth: picks interleave instead of bunching (nginx sequence)', () => {
  const p = new SmoothWeightedPicker([5, 1, 1])
  const seq = Array.from({ length: 7 }, () => p.next())
  assert.deepEqual(seq, [0, 0, 1, 0, 2, 0, 0])
})

test('all weights zero (or empty) returns -1', () => {
  assert.equal(new SmoothWeightedPicker([0, 0]).next(), -1)
  assert.equal(new SmoothWeightedPicker([]).next(), -1)
})
