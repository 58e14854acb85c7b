// Retry budget, as Linkerd does it: over a sliding window, retries may not exceed `percent` of
// requests plus `minPerSecond` × window seconds — so retries cannot multiply load in an outage.
// Ten one-second buckets; no allocation per request.
const BUCKETS = 10

export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS)
  private readonly retries = new Float64Array(BUCKETS)
  private current = 0            // index of the bucket for `second`
  private second = 0             // the whole second the current bucket covers
  exhausted = 0                  // how often a retry was refused

  constructor(private readonly percent: number, private readonly minPerSecond: number, private readonly now: () => number = Date.now) {
    this.second = Math.floor(this.now() / 1000)
  }

  /** Every original request deposits. */
  recordRequest(): void { this.roll(); this.requests[this.current]++ }

  /** A retry withdraws if the budget allows; false = do not retry. */
  tryRetry(): boolean {
    this.roll()
    let req = 0, ret = 0
    for (let i = 0; i < BUCKETS; i++) { req += this.requests[i]; ret += this.retries[i] }
    const allowed = (req * this.percent) / 100 + this.minPerSecond * BUCKETS
    if (ret + 1 > allowed) { this.exhausted++; return false }
    this.retries[this.current]++
    return true
  }

  private roll(): void {
    const s = Math.floor(this.now() / 1000)
    if (s === this.second) return
    const steps = Math.min(s - this.second, BUCKETS)
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % BUCKETS
      this.requests[this.current] = 0
      this.retries[this.current] = 0
    }
    this.second = s
  }
}
