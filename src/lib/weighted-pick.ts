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
