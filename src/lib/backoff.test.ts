import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelayMs, jitteredPeriodMs } from './backoff.js'

test('exponential ceiling with full jitter, capped at max', () => {
  const cases = [
    { name: 'first retry, r≈1', retry: 0, base: 25, max: 250, r: 0.999999, want: 24 },
    { name: 'second retry', retry: 1, base: 25, max: 250, r: 0.5, want: 25 },
    { name: 'third retry', retry: 2, base: 25, max: 250, r: 0.5, want: 50 },
    { name: 'capped', retry: 10, base: 25, max: 250, r: 0.5, want: 125 },
    { name: 'r = 0 gives 0', retry: 3, base: 25, max: 250, r: 0, want: 0 },
    { name: 'no cap', retry: 4, base: 10, max: 0, r: 0.5, want: 80 },
    { name: 'huge retry stays finite', retry: 5000, base: 10, max: 0, r: 0.5, want: 10 * 2 ** 30 },
    { name: 'zero base', retry: 3, base: 0, max: 100, r: 0.5, want: 0 },
  ]
  for (const c of cases) assert.equal(backoffDelayMs(c.retry, c.base, c.max, c.r), c.want, c.name)
})

test('jittered period: within ± spread of the period, spread evenly, never below 1 ms', () => {
  assert.equal(jitteredPeriodMs(1000, 0.2, 0), 800)
  assert.equal(jitteredPeriodMs(1000, 0.2, 0.5), 1000)
  assert.equal(jitteredPeriodMs(1000, 0.2, 0.999999), 1200)
  assert.equal(jitteredPeriodMs(1000, 0, 0.9), 1000)
  assert.equal(jitteredPeriodMs(1, 0.5, 0), 1)
  let sum = 0
  for (let i = 0; i < 1000; i++) sum += jitteredPeriodMs(1000, 0.2, (i + 0.5) / 1000)
  assert.equal(Math.round(sum / 1000), 1000)          // the mean stays the period
})
