import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BUCKET_COUNT, BUCKETS_MS, bucketOf, quantileMs } from './latency-histogram.js'

/** Bucket counts with `n` requests in the bucket whose upper bound is `le` (Infinity: above the last). */
function counts(...pairs: [le: number, n: number][]): number[] {
  const out = new Array<number>(BUCKET_COUNT).fill(0)
  for (const [le, n] of pairs) out[le === Infinity ? BUCKETS_MS.length : BUCKETS_MS.indexOf(le)] += n
  return out
}

const cases: { name: string; buckets: number[]; q: number; want: number | null }[] = [
  { name: 'no requests', buckets: counts(), q: 0.5, want: null },
  { name: 'all in the first bucket: interpolated from 0', buckets: counts([1, 10]), q: 0.5, want: 0.5 },
  { name: 'all in (25, 50]: the median half-way', buckets: counts([50, 100]), q: 0.5, want: 37.5 },
  { name: 'p99 near the top of its bucket', buckets: counts([50, 100]), q: 0.99, want: 49.75 },
  { name: 'the rank falls in the second of two buckets', buckets: counts([10, 90], [100, 10]), q: 0.95, want: 75 },
  { name: 'beyond the last bound: the last bound', buckets: counts([Infinity, 5]), q: 0.5, want: 10_000 },
]

for (const c of cases) {
  test(`quantileMs: ${c.name}`, () => assert.equal(quantileMs(c.buckets, c.q), c.want))
}

test('bucketOf: a latency on a bound belongs to that bound\'s bucket', () => {
  assert.equal(bucketOf(0.2), 0)
  assert.equal(bucketOf(1), 0)
  assert.equal(bucketOf(1.01), 1)
  assert.equal(bucketOf(10_000), BUCKETS_MS.length - 1)
  assert.equal(bucketOf(60_000), BUCKETS_MS.length)
})
