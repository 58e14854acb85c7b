import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalBuckets } from './token-bucket.js'

test('a bucket allows a burst of `requests`, then one more per perMs/requests, and says how long to wait', () => {
  const b = new LocalBuckets()
  for (let i = 0; i < 5; i++) assert.equal(b.take('k', 'L', 5, 1000, 0), 0, `burst ${i}`)
  assert.equal(b.take('k', 'L', 5, 1000, 0), 200, 'one token every 200 ms')
  assert.equal(b.take('k', 'L', 5, 1000, 100), 100)
  assert.equal(b.take('k', 'L', 5, 1000, 200), 0, 'refilled one')
  assert.equal(b.take('k', 'L', 5, 1000, 200), 200)
  assert.equal(b.take('other', 'L', 5, 1000, 200), 0, 'keys have their own buckets')
  for (let i = 0; i < 5; i++) assert.equal(b.take('k', 'L', 5, 1000, 10_000), 0, 'refill caps at the burst')
  assert.notEqual(b.take('k', 'L', 5, 1000, 10_000), 0)
})

test('a clock going back never adds tokens', () => {
  const b = new LocalBuckets()
  b.take('k', 'L', 1, 1000, 5000)
  assert.equal(b.take('k', 'L', 1, 1000, 4000), 1000)
})

test('a flood of distinct keys cannot reset a bucket that is still refilling', () => {
  const b = new LocalBuckets()
  assert.equal(b.take('victim', 'L', 1, 60_000, 0), 0)
  assert.notEqual(b.take('victim', 'L', 1, 60_000, 0), 0, 'emptied')
  for (let i = 0; i < 150_000; i++) b.take(`flood${i}`, 'L', 1, 60_000, 1)
  assert.equal(b.size, 100_000, 'memory stays bounded')
  assert.notEqual(b.take('victim', 'L', 1, 60_000, 2), 0, 'still limited: its bucket was kept')
  assert.notEqual(b.take('flood0', 'L', 1, 60_000, 2), 0, 'the first flood keys keep their empty buckets too')
})

test('while every bucket is refilling, new keys of a limit share one overflow bucket', () => {
  const b = new LocalBuckets(3)
  for (const k of ['a', 'b', 'c']) assert.equal(b.take(k, 'L', 2, 1000, 0), 0)
  assert.equal(b.take('d', 'L', 2, 1000, 0), 0, 'the overflow bucket starts full')
  assert.equal(b.take('e', 'L', 2, 1000, 0), 0)
  assert.equal(b.take('f', 'L', 2, 1000, 0), 500, 'd, e and f share it')
  assert.equal(b.take('g', 'M', 2, 1000, 0), 0, 'another limit has its own overflow bucket')
  assert.equal(b.size, 3)
})

test('a bucket that has refilled is dropped to make room, not an older one still refilling', () => {
  const b = new LocalBuckets(2)
  b.take('slow', 'L', 1, 10_000, 0)             // full again at 10000
  b.take('fast', 'L', 1, 1000, 0)               // full again at 1000
  assert.equal(b.take('new', 'L', 1, 1000, 1000), 0, 'fast refilled: new takes its place')
  assert.equal(b.size, 2)
  assert.equal(b.take('slow', 'L', 1, 10_000, 1000), 9000, 'the oldest bucket, still refilling, was kept')
  assert.equal(b.take('new', 'L', 1, 1000, 1000), 1000, 'new has a bucket of its own')
})
