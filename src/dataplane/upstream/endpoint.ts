// One live instance as a caller sees it: its address, a keep-alive connection pool, load stats and
// health state. Endpoint objects outlive snapshots (reused by address) so pools, latency history,
// ejections and health survive config updates.
import { Agent } from 'node:http'
import type { ClientHttp2Session } from 'node:http2'
import type { Socket } from 'node:net'
import { http2 } from '../../lib/lazy-http2.js'
import { dial, type MeshPeer } from '../mtls/dial.js'
import { EndpointStats, type Pickable } from '../balance/endpoint-stats.js'
import { DEFAULT_CONNECTION_POOL } from '../../ir/index.js'
import { H1Pool } from './h1/connection-pool.js'
import { hostHeaderFor } from './h1/request-head.js'

export class Endpoint implements Pickable {
  readonly stats = new EndpointStats()
  readonly host: string
  readonly port: number
  /** For request mirrors; forwarded requests use `h1`. */
  readonly agent: Agent
  /** Pooled keep-alive HTTP/1.1 connections for forwarded requests. */
  readonly h1: H1Pool
  /** Host header for requests that arrive without one (HTTP/2 clients send :authority). */
  readonly hostHeader: string
  /** Removed from discovery: no new requests; the pool closes once in-flight ones finish. */
  retired = false
  /** A mesh proxy (an instance's sidecar), whose x-trellis-reason is the mesh's own word; false for
   *  an app (a sidecar's local one, a static endpoint), whose x-trellis-reason is dropped. */
  meshProxy = false
  // Passive health (outlier detection).
  consecutiveErrors = 0
  timesEjected = 0
  ejectedUntil = 0                       // 0 = not ejected
  backSince = 0                          // when its last ejection ended (0 = never ejected)
  ejectionTimer: NodeJS.Timeout | null = null
  // Active health checks.
  healthy = true
  checkPasses = 0
  checkFails = 0
  /** One multiplexed h2c session for http2 and grpc Services, made on first use. */
  private session: ClientHttp2Session | null = null
  /** How long that session may stay without traffic (a TrafficPolicy's connectionPool.idleTimeout). */
  private sessionIdleMs: number = DEFAULT_CONNECTION_POOL.idleTimeoutMs

  /** `peer`: reach this endpoint over mTLS, proving that identity; null: plaintext. */
  constructor(readonly key: string, readonly instance: string | null, readonly peer: MeshPeer | null = null) {
    const i = key.lastIndexOf(':')
    this.host = key.slice(0, i).replace(/^\[|\]$/g, '')
    this.port = Number(key.slice(i + 1))
    this.h1 = new H1Pool(this.host, this.port)
    this.h1.peer = peer
    this.hostHeader = hostHeaderFor(this.host, this.port)
    this.agent = new DialAgent(this, { keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 256, scheduling: 'lifo', timeout: 60_000 })
  }

  /** A new connection to this endpoint (TLS when it is a mesh peer). */
  dial(alpn: 'http/1.1' | 'h2' | null, allowHalfOpen = false): Socket {
    return dial(this.host, this.port, this.peer, alpn, allowHalfOpen)
  }

  h2(): ClientHttp2Session {
    const s = this.session
    if (s && !s.closed && !s.destroyed) return s
    const next = http2().connect(`http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`, {
      settings: { enablePush: false }, ...(this.peer ? { createConnection: () => this.dial('h2') } : {}),
    })
    next.on('error', () => {})                 // surfaced on each stream; the next request reconnects
    const forget = () => { if (this.session === next) this.session = null }
    next.once('close', forget)
    next.once('goaway', forget)
    next.setTimeout(this.sessionIdleMs, () => { if (this.stats.inflight === 0) next.close() })
    this.session = next
    return next
  }

  /** Idle timeouts: the HTTP/1.1 pool's now, the h2c session's from the next session. */
  setIdleTimeouts(idleTimeoutMs: number, surplusIdleTimeoutMs: number): void {
    this.h1.setIdleTimeouts(idleTimeoutMs, surplusIdleTimeoutMs)
    this.sessionIdleMs = idleTimeoutMs
  }

  get eligible(): boolean { return this.healthy && this.ejectedUntil === 0 && !this.retired }

  /** Back in rotation with a clean passive-health record (outlier detection was switched off). */
  readmit(): void {
    if (this.ejectionTimer) { clearTimeout(this.ejectionTimer); this.ejectionTimer = null }
    this.ejectedUntil = 0
    this.consecutiveErrors = 0
    this.timesEjected = 0
    this.backSince = 0
  }

  retire(): void {
    if (this.retired) return
    this.retired = true
    if (this.ejectionTimer) clearTimeout(this.ejectionTimer)
    const close = () => {
      if (this.stats.inflight > 0) { setTimeout(close, 1000).unref(); return }
      this.agent.destroy()
      this.h1.close()
      this.session?.close()
    }
    setTimeout(close, 100).unref()
  }
}

/** An http.Agent whose connections go through the endpoint's dialer (for request mirrors). */
class DialAgent extends Agent {
  constructor(private readonly endpoint: Endpoint, opts: ConstructorParameters<typeof Agent>[0]) { super(opts) }
  override createConnection(): Socket { return this.endpoint.dial('http/1.1') }
}
