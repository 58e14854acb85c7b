import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PeakEwma, DEFAULT_EWMA_INITIAL_MS } from './ewma.js'

test('no samples: neutral default, stable over time', () => {
  const e = new PeakEwma()
  assert.equal(e.estimate(0), DEFAULT_EWMA_INITIAL_MS)
  assert.equal(e.estimate(1_000_000), DEFAULT_EWMA_INITIAL_MS)
})

test('a sample above the estimate replaces it at once (peak sensitivity)', () => {
  const e = new PeakEwma(30, 10_000)
  e.observe(0, 10)
  e.observe(1, 500)
  assert.equal(e.estimate(1), 500)
})

test('lower samples pull the estimate down with time constant tau', () => {
  const cases = [
    { name: 'instant sample barely moves it', dt: 0, want: 100 },
    { name: 'one tau moves it 1-1/e of the way', dt: 10_000, want: 10 + 90 * Math.exp(-1) },
    { name: 'many taus: reaches the sample', dt: 200_000, want: 10 },
  ]
  for (const c of cases) {
    const e = new PeakEwma(30, 10_000)
    e.observe(0, 100)
    e.observe(c.dt, 10)
    assert.ok(Math.abs(e.estimate(c.dt) - c.want) < 1e-6, `${c.name}: ${e.estimate(c.dt)}`)
  }
})

test('reads decay toward zero so an idle slow endpoint is retried eventually', () => {
  const e = new PeakEwma(30, 10_000)
  e.observe(0, 1000)
  assert.ok(e.estimate(5_000) < 1000)
  assert.ok(e.estimate(60_000) < 5)
})

test('cost scales with inflight + 1', () => {
  const e = new PeakEwma(30, 10_000)
  e.observe(0, 20)
  assert.equal(e.cost(0, 0), 20)
  assert.equal(e.cost(0, 3), 80)
})
