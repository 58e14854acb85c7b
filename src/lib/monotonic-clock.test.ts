import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nowMs, wallClockNs } from './monotonic-clock.js'

test('nowMs advances with real time, in milliseconds with sub-millisecond precision', async () => {
  const a = nowMs()
  await new Promise(r => setTimeout(r, 30))
  const elapsed = nowMs() - a
  assert.ok(elapsed >= 29 && elapsed < 5000, `30 ms timer measured as ${elapsed} ms`)
  assert.notEqual(elapsed, Math.round(elapsed), 'fractional milliseconds')
})

test('wallClockNs reads the wall clock in nanoseconds', () => {
  const ms = Number(wallClockNs() / 1_000_000n)
  assert.ok(Math.abs(ms - Date.now()) < 1000, `${ms} against Date.now() ${Date.now()}`)
})
