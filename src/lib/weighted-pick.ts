// Smooth weighted round-robin (nginx's algorithm): over every cycle of sum(weights) picks, entry i
// is chosen exactly weights[i] times, and the picks are interleaved rather than bunched.
// Weight-0 entries are never picked; when all weights are 0, next() returns -1.

export class SmoothWeightedPicker {
  private readonly weights: Float64Array
  private readonly current: Float64Array
  private readonly total: number

  constructor(weights: readonly number[]) {
    this.weights = new Float64Array(weights.length)
    this.current = new Float64Array(weights.length)
    let total = 0
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] > 0 ? weights[i] : 0         // negatives and NaN count as 0
      this.weights[i] = w
      total += w
    }
    this.total = total
  }

  get size(): number { return this.weights.length }

  /** Index of the next entry, or -1 when no entry has a positive weight. */
  next(): number {
    if (this.total <= 0) return -1
    const weights = this.weights, current = this.current
    let best = -1, bestValue = -Infinity
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue
      const c = current[i] + weights[i]
      current[i] = c
      if (c > bestValue) { bestValue = c; best = i }
    }
    current[best] -= this.total
    return best
  }
}

/**
 * Stateless weighted pick for a random number r in [0, 1): binary search of cumulative weights
 * (built once with `cumulativeWeights`). Returns -1 when the total weight is 0.
 */
export function pickCumulative(cumulative: Float64Array, r: number): number {
  const n = cumulative.length
  if (n === 0 || cumulative[n - 1] <= 0) return -1
  const target = r * cumulative[n - 1]
  let lo = 0, hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cumulative[mid] > target) hi = mid
    else lo = mid + 1
  }
  return lo
}

export function cumulativeWeights(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length)
  let sum = 0
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] > 0 ? weights[i] : 0
    out[i] = sum
  }
  return out
}
