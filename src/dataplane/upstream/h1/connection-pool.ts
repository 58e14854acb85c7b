// Keep-alive HTTP/1.1 connections to one endpoint. The most recently used idle socket is reused first
// (LIFO keeps a few sockets warm and lets the rest time out); idle sockets are bounded in number per
// endpoint and across the process (the shared IdleList closes the one idle longest), bounded in
// time (by the IdleList's one timer), unref'd so an idle pool never keeps the process alive, and
// closed with the endpoint. Only idle sockets are ever closed to make room: a socket carrying an
// exchange is not in any idle list.
// Two idle timeouts: the socket released into an empty pool is the endpoint's warm one and keeps
// the long timeout, so light traffic never reconnects; every other idle socket is surplus from a
// burst and closes after the short one. A burst's sockets then die within seconds, and the memory
// of their TLS sessions and buffers is reused by the next burst's sockets instead of adding to it
// (Linkerd's HTTP/1 pools use 3 s; measured in docs/performance.md, "2026-11-26 late night").
import { DEFAULT_CONNECTION_POOL } from '../../../ir/index.js'
import type { MeshPeer } from '../../mtls/dial.js'
import { H1Connection, type ConnectionOwner } from './connection.js'
import { idleConnections, type IdleEntry, type IdleList } from './idle-list.js'
import { nowMs } from '../../../lib/monotonic-clock.js'

export interface PoolOptions {
  readonly maxIdle: number
  /** How long the endpoint's warm socket (the one released into an empty pool) stays idle. */
  readonly idleTimeoutMs: number
  /** How long every other idle socket stays (default: idleTimeoutMs). */
  readonly surplusIdleTimeoutMs?: number
  /** Idle connections of every pool together (default: the process-wide list). */
  readonly shared?: IdleList
}

export const DEFAULT_POOL: PoolOptions = { maxIdle: 256, ...DEFAULT_CONNECTION_POOL }

/** A pooled connection, linked into the shared idle list while idle. */
class PooledConnection extends H1Connection implements IdleEntry {
  older: IdleEntry | null = null
  newer: IdleEntry | null = null
  idleUntil = 0
  constructor(private readonly pool: H1Pool, host: string, port: number, peer: MeshPeer | null) { super(pool, host, port, peer) }
  evict(): void { this.pool.evict(this) }
}

export class H1Pool implements ConnectionOwner {
  private readonly idle: PooledConnection[] = []
  private readonly shared: IdleList
  private closed = false
  private idleMs = 0
  private surplusIdleMs = 0
  /** Sockets opened over the pool's life (tests and metrics: reuse shows as few opens). */
  opened = 0
  /** mTLS to the endpoint's sidecar, or null for plaintext. */
  peer: MeshPeer | null = null

  constructor(readonly host: string, readonly port: number, private readonly opts: PoolOptions = DEFAULT_POOL) {
    this.shared = opts.shared ?? idleConnections
    this.setIdleTimeouts(opts.idleTimeoutMs, opts.surplusIdleTimeoutMs ?? opts.idleTimeoutMs)
  }

  /** New idle timeouts (a TrafficPolicy's connectionPool); they apply from each socket's next release. */
  setIdleTimeouts(idleTimeoutMs: number, surplusIdleTimeoutMs: number): void {
    this.idleMs = idleTimeoutMs
    this.surplusIdleMs = Math.min(surplusIdleTimeoutMs, idleTimeoutMs)
  }

  get idleCount(): number { return this.idle.length }

  /** An idle connection if one is alive, else a new one (connecting; writes queue until it is up). */
  acquire(): H1Connection {
    const idle = this.idle
    while (idle.length > 0) {
      const c = idle.pop() as PooledConnection
      c.idle = false
      this.shared.remove(c)
      if (!c.dead && !c.socket.destroyed && c.socket.readyState === 'open') return c
      c.destroy()
    }
    this.opened++
    return new PooledConnection(this, this.host, this.port, this.peer)
  }

  release(c: H1Connection): void {
    if (this.closed || c.dead || this.idle.length >= this.opts.maxIdle) { c.destroy(); return }
    const pc = c as PooledConnection
    c.idle = true
    if (c.socket.timeout) c.socket.setTimeout(0)  // a per-try timeout must not cut the idle time short
    c.socket.unref()
    pc.idleUntil = nowMs() + (this.idle.length === 0 ? this.idleMs : this.surplusIdleMs)
    this.idle.push(pc)
    this.shared.add(pc)                           // may evict another pool's oldest (or this one)
  }

  /** A connection closed or broke: it must not be handed out again. */
  forget(c: H1Connection): void {
    if (!c.idle) return
    c.idle = false
    this.shared.remove(c as PooledConnection)
    const i = this.idle.indexOf(c as PooledConnection)
    if (i >= 0) this.idle.splice(i, 1)
  }

  /** The shared list closes this idle connection (to make room, or past its idle time). */
  evict(c: PooledConnection): void {
    this.forget(c)
    c.destroy()
  }

  /** Closes idle sockets now and every busy one when its exchange ends. */
  close(): void {
    this.closed = true
    const idle = this.idle.splice(0)
    for (const c of idle) { c.idle = false; this.shared.remove(c); c.destroy() }
  }
}
