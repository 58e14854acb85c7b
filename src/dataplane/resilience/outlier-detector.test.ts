import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OutlierDetector } from './outlier-detector.js'
import { Endpoint } from '../upstream/endpoint.js'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

test('outlier detection: errors of requests still in flight at ejection do not count against the endpoint once back', async () => {
  const a = new Endpoint('127.0.0.1:1', null), b = new Endpoint('127.0.0.1:2', null)
  const all = [a, b]
  const od = new OutlierDetector({ consecutiveErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 50, maxEjectionPercent: 50 }, () => {})
  for (let i = 0; i < 3; i++) od.record(a, false, all)
  assert.ok(a.ejectedUntil > 0, 'ejected after 3 errors in a row')
  for (let i = 0; i < 5; i++) od.record(a, false, all)      // answers to requests sent before the ejection
  for (let i = 0; i < 100 && a.ejectedUntil > 0; i++) await sleep(10)
  assert.equal(a.ejectedUntil, 0, 'back after the ejection time')
  od.record(a, false, all)                                   // one error: not enough to eject again
  assert.equal(a.ejectedUntil, 0, 'ejected again after a single error')
  assert.equal(od.ejections, 1)
  od.record(a, false, all); od.record(a, false, all)
  assert.ok(a.ejectedUntil > 0, 'three errors in a row eject it again')
  assert.equal(a.timesEjected, 2)
  if (a.ejectionTimer) clearTimeout(a.ejectionTimer)
  a.retire(); b.retire()
})

test('outlier detection: each interval back in rotation takes one off the ejection count', async () => {
  const a = new Endpoint('127.0.0.1:1', null)
  let now = 0
  const od = new OutlierDetector({ consecutiveErrors: 1, intervalMs: 1000, baseEjectionTimeMs: 20, maxEjectionPercent: 100 }, () => {}, () => now)
  const backAt = async (t: number) => { now = t; for (let i = 0; i < 100 && a.ejectedUntil > 0; i++) await sleep(10); assert.equal(a.ejectedUntil, 0) }
  od.record(a, false, [a])
  assert.equal(a.timesEjected, 1)
  await backAt(100)
  now = 150
  od.record(a, false, [a])
  assert.equal(a.timesEjected, 2, 'failing again within an interval: a longer ejection')
  await backAt(200)
  now = 3300                                                // three intervals back in rotation
  od.record(a, false, [a])
  assert.equal(a.timesEjected, 1, 'the count went down by three (not below zero), then up by one')
  await backAt(3400)
  a.retire()
})
