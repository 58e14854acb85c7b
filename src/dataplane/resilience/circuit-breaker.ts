// Concurrency limits per destination Service in one proxy: up to `maxRequests` active, then up to
// `maxPendingRequests` waiting in a bounded FIFO, and past that an immediate 503 (overloaded).
// A WebSocket tunnel counts as one active request from its admission until it closes. A TCP
// connection to a `tcp` Service holds one slot from its connect until it closes, up to
// maxConnections alone (maxRequests is about requests), and never waits as pending: over the limit
// it is refused at once, as Envoy's TCP proxy does.
import type { CircuitBreakerIR } from '../../ir/index.js'

export type Admit = () => void

export class CircuitBreaker {
  active = 0
  rejected = 0
  private readonly pending: Admit[] = []
  private maxActive: number
  private maxPending: number
  private maxConnections: number

  constructor(cfg: CircuitBreakerIR) {
    // On HTTP/1.1 each active request holds one connection, so maxConnections caps concurrency too.
    this.maxActive = Math.min(cfg.maxRequests, cfg.maxConnections)
    this.maxPending = cfg.maxPendingRequests
    this.maxConnections = cfg.maxConnections
  }

  update(cfg: CircuitBreakerIR): void {
    this.maxActive = Math.min(cfg.maxRequests, cfg.maxConnections)
    this.maxPending = cfg.maxPendingRequests
    this.maxConnections = cfg.maxConnections
    this.drain()
  }

  /** Requests allowed active at once. */
  get maxRequests(): number { return this.maxActive }

  get open(): boolean { return this.active >= this.maxActive && this.pending.length >= this.maxPending }

  /** Calls `admit` now or once a slot frees; returns false when the request must be rejected. */
  acquire(admit: Admit): boolean {
    if (this.active < this.maxActive) { this.active++; admit(); return true }
    if (this.pending.length < this.maxPending) { this.pending.push(admit); return true }
    this.rejected++
    return false
  }

  /** A TCP connection's slot, held until release(): true now, or false (counted as rejected) when
   *  maxConnections are in use or requests are waiting for a slot. */
  acquireConnection(): boolean {
    if (this.active < this.maxConnections && this.pending.length === 0) { this.active++; return true }
    this.rejected++
    return false
  }

  /** Removes a waiting request (its client went away). */
  cancel(admit: Admit): void {
    const i = this.pending.indexOf(admit)
    if (i >= 0) this.pending.splice(i, 1)
  }

  release(): void {
    this.active--
    this.drain()
  }

  private drain(): void {
    while (this.active < this.maxActive && this.pending.length > 0) {
      this.active++
      this.pending.shift()!()
    }
  }
}
