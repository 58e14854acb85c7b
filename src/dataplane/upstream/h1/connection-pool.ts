// Keep-alive HTTP/1.1 connections to one endpoint. The most recently used idle socket is reused first
// (LIFO keeps a few sockets warm and lets the rest time out); idle sockets are bounded in number and
// in time, unref'd so an idle pool never keeps the process alive, and closed with the endpoint.
import type { MeshPeer } from '../../mtls/dial.js'
import { H1Connection, type ConnectionOwner } from './connection.js'

export interface PoolOptions {
  readonly maxIdle: number
  readonly idleTimeoutMs: number
}

export const DEFAULT_POOL: PoolOptions = { maxIdle: 256, idleTimeoutMs: 60_000 }

export class H1Pool implements ConnectionOwner {
  private readonly idle: H1Connection[] = []
  private closed = false
  /** Sockets opened over the pool's life (tests and metrics: reuse shows as few opens). */
  opened = 0
  /** mTLS to the endpoint's sidecar, or null for plaintext. */
  peer: MeshPeer | null = null

  constructor(readonly host: string, readonly port: number, private readonly opts: PoolOptions = DEFAULT_POOL) {}

  get idleCount(): number { return this.idle.length }

  /** An idle connection if one is alive, else a new one (connecting; writes queue until it is up). */
  acquire(): H1Connection {
    const idle = this.idle
    while (idle.length > 0) {
      const c = idle.pop() as H1Connection
      c.idle = false
      if (!c.dead && !c.socket.destroyed && c.socket.readyState === 'open') return c
      c.destroy()
    }
    this.opened++
    return new H1Connection(this, this.host, this.port, this.peer)
  }

  release(c: H1Connection): void {
    if (this.closed || c.dead || this.idle.length >= this.opts.maxIdle) { c.destroy(); return }
    c.idle = true
    c.socket.setTimeout(this.opts.idleTimeoutMs)
    c.socket.unref()
    this.idle.push(c)
  }

  /** A connection closed or broke: it must not be handed out again. */
  forget(c: H1Connection): void {
    if (!c.idle) return
    c.idle = false
    const i = this.idle.indexOf(c)
    if (i >= 0) this.idle.splice(i, 1)
  }

  /** Closes idle sockets now and every busy one when its exchange ends. */
  close(): void {
    this.closed = true
    const idle = this.idle.splice(0)
    for (const c of idle) { c.idle = false; c.destroy() }
  }
}
