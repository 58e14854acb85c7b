import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalBuckets } from './token-bucket.js'

test('a bucket allows a burst of `requests`, then one more per perMs/requests, and says how long to wait', () => {
  const b = new LocalBuckets()
  for (let i = 0; i < 5; i++) assert.equal(b.take('k', 5, 1000, 0), 0, `burst ${i}`)
  assert.equal(b.take('k', 5, 1000, 0), 200, 'one token every 200 ms')
  assert.equal(b.take('k', 5, 1000, 100), 100)
  assert.equal(b.take('k', 5, 1000, 200), 0, 'refilled one')
  assert.equal(b.take('k', 5, 1000, 200), 200)
  assert.equal(b.take('other', 5, 1000, 200), 0, 'keys have their own buckets')
  for (let i = 0; i < 5; i++) assert.equal(b.take('k', 5, 1000, 10_000), 0, 'refill caps at the burst')
  assert.notEqual(b.take('k', 5, 1000, 10_000), 0)
})

test('a clock going back never adds tokens', () => {
  const b = new LocalBuckets()
  b.take('k', 1, 1000, 5000)
  assert.equal(b.take('k', 1, 1000, 4000), 1000)
})

test('distinct keys are bounded: the oldest bucket is dropped first', () => {
  const b = new LocalBuckets()
  for (let i = 0; i < 100_050; i++) b.take(`k${i}`, 1, 60_000, 0)
  assert.equal(b.size, 100_000)
  assert.equal(b.take('k0', 1, 60_000, 0), 0, 'k0 was evicted, so it starts full again')
  assert.notEqual(b.take('k100049', 1, 60_000, 0), 0, 'a recent key keeps its empty bucket')
})
