// Latency buckets shared by the proxies (which count into them) and the control plane (which reads
// quantiles back out of them). Quantiles are estimated by linear interpolation inside the bucket
// that holds the rank, as Prometheus' histogram_quantile does: precise enough for golden signals,
// and the proxies keep only a fixed array of counters.
export const BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

/** Number of counters a histogram holds: one per bound, plus one above the last bound. */
export const BUCKET_COUNT = BUCKETS_MS.length + 1

/** The index of the bucket a latency falls into (the first bound it does not exceed). */
export function bucketOf(latencyMs: number): number {
  let i = 0
  while (i < BUCKETS_MS.length && latencyMs > BUCKETS_MS[i]) i++
  return i
}

/** The q-quantile (0 < q ≤ 1) of non-cumulative bucket counts, in ms; null when there are none.
 *  Values beyond the last bound are reported as the last bound. */
export function quantileMs(buckets: ArrayLike<number>, q: number): number | null {
  let total = 0
  for (let i = 0; i < buckets.length; i++) total += buckets[i]
  if (total === 0) return null
  const rank = q * total
  let below = 0
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]
    if (n > 0 && below + n >= rank) {
      if (i >= BUCKETS_MS.length) return BUCKETS_MS[BUCKETS_MS.length - 1]
      const lower = i === 0 ? 0 : BUCKETS_MS[i - 1]
      return lower + (BUCKETS_MS[i] - lower) * ((rank - below) / n)
    }
    below += n
  }
  return BUCKETS_MS[BUCKETS_MS.length - 1]
}
