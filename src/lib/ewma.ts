// Peak-EWMA latency estimate (as in Finagle and Linkerd/tower): a sample above the estimate
// replaces it at once, so a slowing endpoint is penalised immediately; below it, the estimate
// decays toward the sample with a time constant `tauMs`, so recovery is gradual and independent of
// the request rate. Reads also decay toward zero (tower's approach), so an endpoint that stopped
// getting traffic because it looked slow is eventually tried again rather than starved forever.

export const DEFAULT_EWMA_TAU_MS = 10_000
/** Estimate used before any sample: a middling latency, so new endpoints compete and get tried. */
export const DEFAULT_EWMA_INITIAL_MS = 30

export class PeakEwma {
  /** Current estimate in ms. */
  private valueMs: number
  /** When the estimate was last updated (ms on the caller's clock); NaN until first touched. */
  private stampMs: number
  private readonly tauMs: number

  constructor(initialMs: number = DEFAULT_EWMA_INITIAL_MS, tauMs: number = DEFAULT_EWMA_TAU_MS) {
    this.valueMs = initialMs
    this.stampMs = Number.NaN
    this.tauMs = tauMs
  }

  /** Records one latency sample taken at `nowMs`. */
  observe(nowMs: number, sampleMs: number): void {
    if (sampleMs > this.valueMs || this.stampMs !== this.stampMs) {
      this.valueMs = sampleMs               // peak sensitivity (and first sample wins outright)
    } else {
      const w = this.weight(nowMs)
      this.valueMs = this.valueMs * w + sampleMs * (1 - w)
    }
    this.stampMs = nowMs
  }

  /** The estimate at `nowMs`, decayed toward zero for the time since the last update. */
  estimate(nowMs: number): number {
    if (this.stampMs !== this.stampMs) return this.valueMs     // no samples yet: neutral default
    const w = this.weight(nowMs)
    this.valueMs *= w
    this.stampMs = nowMs > this.stampMs ? nowMs : this.stampMs
    return this.valueMs
  }

  /** Load-aware cost: estimate × (inflight + 1), the quantity P2C compares. */
  cost(nowMs: number, inflight: number): number {
    return this.estimate(nowMs) * (inflight + 1)
  }

  private weight(nowMs: number): number {
    const dt = nowMs - this.stampMs
    return dt > 0 ? Math.exp(-dt / this.tauMs) : 1
  }
}
