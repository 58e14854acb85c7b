// Per-endpoint load statistics. They live on the endpoint object, not in a balancer, so they
// survive balancer rebuilds when the endpoint list changes (a rebuild must not forget that an
// endpoint is slow or busy).
// Times passed to onStart/onEnd come from the data plane's one clock (lib/monotonic-clock.ts nowMs),
// or the EWMA decay sees time jump.
import { PeakEwma } from '../../lib/ewma.js'

/**
 * A failed request counts as at least this slow, so an endpoint that fails fast (connection
 * refused in 1 ms) does not look like the fastest one and attract all traffic.
 */
export const FAILURE_PENALTY_MS = 1000

export class EndpointStats {
  /** Requests started and not yet ended. */
  inflight = 0
  /** Peak-EWMA of latency in ms. */
  readonly latency: PeakEwma
  /** Latency of the most recent completed request in ms; -1 before any. */
  lastLatencyMs = -1
  /** Clock value of the most recent onStart; -1 before any. */
  lastStartMs = -1
  requests = 0
  failures = 0

  constructor(latency: PeakEwma = new PeakEwma()) {
    this.latency = latency
  }

  onStart(nowMs: number): void {
    this.inflight++
    this.requests++
    this.lastStartMs = nowMs
  }

  onEnd(nowMs: number, latencyMs: number, ok: boolean): void {
    if (this.inflight > 0) this.inflight--
    this.lastLatencyMs = latencyMs
    if (!ok) this.failures++
    this.latency.observe(nowMs, ok || latencyMs >= FAILURE_PENALTY_MS ? latencyMs : FAILURE_PENALTY_MS)
  }
}

/** What a balancer can pick: anything with a stable key (its address) and its stats. */
export interface Pickable {
  readonly key: string
  readonly stats: EndpointStats
}
