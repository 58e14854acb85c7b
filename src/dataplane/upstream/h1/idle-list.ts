import { nowMs } from '../../../lib/monotonic-clock.js'
// Every idle keep-alive connection of the process, oldest first, across all endpoints' pools. Past
// `limit`, the connection idle the longest is closed (as nginx's upstream `keepalive N`), so the
// sockets, file descriptors and connections held on upstreams stay bounded however many endpoints a
// proxy spreads requests over. Intrusive links: adding and removing allocate nothing per request.
// Idle timeouts are enforced here too, by one timer for the whole list, not one per socket: a socket
// timer re-armed on every release was a Timeout object and a timer-list insert per request.

export interface IdleEntry {
  older: IdleEntry | null
  newer: IdleEntry | null
  /** When it has been idle too long (nowMs() ms). */
  idleUntil: number
  /** Closed by the list (to make room, or idle too long): leaves its pool and this list, closes its socket. */
  evict(): void
}

/**
 * Proxy-wide default. Above the ~1000 endpoints of the scale scenario on purpose: round-robin over
 * more endpoints than the limit opens a socket for nearly every request (LRU never hits a cyclic
 * pattern), and that churn cost more memory and p99 than the idle sockets it saved (measured at
 * 256: +27 MB RSS after load instead of +8, docs/performance.md (d)).
 */
export const DEFAULT_IDLE_LIMIT = 1024

/** Node's longest timer (a longer delay fires at once): later deadlines are re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Idle connections closed per timer callback; the rest wait for the next turn. */
export const EXPIRE_BATCH = 8

export class IdleList {
  size = 0
  private oldest: IdleEntry | null = null
  private newest: IdleEntry | null = null
  private timer: NodeJS.Timeout | null = null
  private timerAt = Infinity

  constructor(private max: number) {}

  get limit(): number { return this.max }
  /** Lowering the limit closes the oldest idle connections at once. */
  set limit(n: number) {
    this.max = Math.max(0, n)
    this.trim()
  }

  add(e: IdleEntry): void {
    e.older = this.newest
    e.newer = null
    if (this.newest !== null) this.newest.newer = e
    else this.oldest = e
    this.newest = e
    this.size++
    this.trim()
    if (this.newest === e && e.idleUntil < this.timerAt) this.arm(e.idleUntil)   // still listed, and due first
  }

  remove(e: IdleEntry): void {
    if (e.older !== null) e.older.newer = e.newer
    else if (this.oldest === e) this.oldest = e.newer
    else return                                  // not in the list
    if (e.newer !== null) e.newer.older = e.older
    else this.newest = e.older
    e.older = e.newer = null
    this.size--
  }

  private trim(): void {
    while (this.size > this.max && this.oldest !== null) this.oldest.evict()
  }

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => this.expire(), Math.min(Math.max(0, at - nowMs()), MAX_TIMER_MS))
    this.timer.unref()
  }

  /**
   * Closes connections past their idle time, at most EXPIRE_BATCH per turn of the event loop, and
   * re-arms for the next one due. A burst's sockets fall due together; closing them all in one
   * callback would hold every request that arrives meanwhile (tens of TLS shutdowns).
   */
  private expire(): void {
    this.timer = null
    this.timerAt = Infinity
    const now = nowMs()
    let next = Infinity
    let closed = 0
    for (let e = this.oldest; e !== null;) {
      const newer = e.newer
      if (e.idleUntil > now) { if (e.idleUntil < next) next = e.idleUntil }
      else if (closed < EXPIRE_BATCH) { e.evict(); closed++ }
      else { next = now; break }                  // more are due: go on after pending I/O
      e = newer
    }
    if (next !== Infinity) this.arm(next)
  }
}

/** The process's list: one proxy per process, so this is the proxy-wide idle limit. */
export const idleConnections = new IdleList(DEFAULT_IDLE_LIMIT)
