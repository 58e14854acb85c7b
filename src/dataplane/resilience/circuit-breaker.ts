// Concurrency limits per destination Service in one proxy: up to `maxRequests` active, then up to
// `maxPendingRequests` waiting in a bounded FIFO, and past that an immediate 503 (overloaded).
// A WebSocket tunnel counts as one active request from its admission until it closes.
import type { CircuitBreakerIR } from '../../ir/index.js'

export type Admit = () => void

export class CircuitBreaker {
  active = 0
  rejected = 0
  private readonly pending: Admit[] = []
  private maxActive: number
  private maxPending: number

  constructor(cfg: CircuitBreakerIR) {
    // On HTTP/1.1 each active request holds one connection, so maxConnections caps concurrency too.
    this.maxActive = Math.min(cfg.maxRequests, cfg.maxConnections)
    this.maxPending = cfg.maxPendingRequests
  }

  update(cfg: CircuitBreakerIR): void {
    this.maxActive = Math.min(cfg.maxRequests, cfg.maxConnections)
    this.maxPending = cfg.maxPendingRequests
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
