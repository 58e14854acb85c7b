import { test } from 'node:test'
import assert from 'node:assert/strict'
import { murmur3 } from './hash.js'

test('murmur3 is deterministic, unsigned, and spreads similar keys', () => {
  assert.equal(murmur3('10.0.0.1:80#0'), murmur3('10.0.0.1:80#0'))
  const buckets = new Array(16).fill(0)
  for (let i = 0; i < 16_000; i++) {
    const h = murmur3(`10.0.0.${i % 256}:8080#${i}`)
    assert.ok(h >= 0 && h <= 0xffffffff && Number.isInteger(h))
    buckets[h >>> 28]++
  }
  for (const b of buckets) assert.ok(b > 800 && b < 1200, `bucket ${b}`)
  assert.notEqual(murmur3('a'), murmur3('a', 1))
  assert.notEqual(murmur3('ab'), murmur3('ba'))
})
