// Sends an HTTP/1.1 Upgrade (WebSocket) to a Service and joins the two sockets, with the resilience
// a request gets: the Service's circuit breaker admits it (waiting as pending like a request), and
// the open tunnel holds its slot until it closes; the endpoint comes from the balancer, which never
// offers an ejected one; connect failures, and an answer that is not a protocol switch — a 5xx, a
// reset or close before answering, no answer within the idle timeout — count against the endpoint
// for outlier detection. The upstream's answer is relayed byte for byte, whatever it is.
// The breaker slot is released exactly once, however the upgrade ends (see `end`).
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { ProxyError } from '../errors.js'
import { rejectUpgrade } from '../listener/upgrade.js'
import { pipeSockets } from '../listener/pipe-sockets.js'
import type { CircuitBreaker } from '../resilience/circuit-breaker.js'
import type { Cluster } from './cluster.js'
import type { Endpoint } from './endpoint.js'
import { connectCluster, TUNNEL_CONNECT } from './tcp-connect.js'

/** "HTTP/1.1 101": enough of the answer to know its status. */
const STATUS_LINE_BYTES = 12
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})$/

/** `requestHead`: the Upgrade request as it goes upstream; `head`: bytes the client sent after it. */
export function forwardUpgrade(cluster: Cluster, client: Duplex, requestHead: string, head: Buffer, idleMs: number): void {
  new UpgradeForwarding(cluster, client, requestHead, head, idleMs).start()
}

type Phase = 'admitting' | 'connecting' | 'answering' | 'tunnel' | 'done'

class UpgradeForwarding {
  private phase: Phase = 'admitting'
  /** The breaker holding this upgrade's slot (a config update may replace the cluster's); null: none held. */
  private held: CircuitBreaker | null = null
  /** While queued as pending: the breaker queued on, and the admission it will call. */
  private queuedOn: CircuitBreaker | null = null
  private waiting: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null
  private upstream: Socket | null = null
  private endpoint: Endpoint | null = null
  private answer: Buffer | null = null               // the answer's first bytes, until its status is known

  constructor(private readonly cluster: Cluster, private readonly client: Duplex, private readonly requestHead: string,
      private readonly head: Buffer, private readonly idleMs: number) {}

  start(): void {
    this.client.once('close', () => { if (this.phase !== 'tunnel') this.end() })   // in a tunnel, pipeSockets ends it
    const breaker = this.cluster.breaker
    if (breaker === null) { this.connect(); return }
    const admit = () => this.admitted(breaker)
    if (!breaker.acquire(admit)) { this.refuse(new ProxyError('overloaded', `too many requests to ${this.cluster.service} (circuit breaker)`)); return }
    if (this.phase !== 'admitting') return                      // admitted at once
    this.queuedOn = breaker
    this.waiting = admit
    // A tunnel may stay open for hours: a queued client waits no longer than it may idle.
    if (this.idleMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = null
        this.refuse(new ProxyError('overloaded', `too many requests to ${this.cluster.service} (circuit breaker); no slot freed within ${this.idleMs}ms`))
      }, this.idleMs)
    }
  }

  private admitted(breaker: CircuitBreaker): void {
    this.held = breaker
    this.queuedOn = null
    this.waiting = null
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null }
    if (this.phase === 'admitting') this.connect()
    else this.end()                                             // already over: the slot goes straight back
  }

  private connect(): void {
    this.phase = 'connecting'
    connectCluster(this.cluster, TUNNEL_CONNECT, (err, upstream, ep) => {
      if (this.phase !== 'connecting') { upstream?.destroy(); return }     // the client left meanwhile
      if (err || !upstream || !ep) { this.refuse(new ProxyError('unavailable', `${this.cluster.service}: ${err?.message ?? 'no connection'}`)); return }
      this.upstream = upstream
      this.endpoint = ep
      this.phase = 'answering'
      upstream.on('data', this.onAnswer)
      upstream.on('error', this.onUpstreamGone)
      upstream.on('close', this.onUpstreamGone)
      upstream.write(this.requestHead)
      if (this.head.length > 0) upstream.write(this.head)
      if (this.idleMs > 0) this.timer = setTimeout(this.onNoAnswer, this.idleMs)
    })
  }

  /** The upstream's first bytes: once the status is known, the outcome is recorded and the sockets joined. */
  private readonly onAnswer = (chunk: Buffer): void => {
    this.answer = this.answer === null ? chunk : Buffer.concat([this.answer, chunk])
    if (this.answer.length < STATUS_LINE_BYTES) return
    const upstream = this.upstream!
    upstream.off('data', this.onAnswer)
    upstream.off('error', this.onUpstreamGone)
    upstream.off('close', this.onUpstreamGone)
    upstream.pause()
    upstream.unshift(this.answer)                               // relayed as it came
    const status = Number(STATUS_LINE.exec(this.answer.toString('latin1', 0, STATUS_LINE_BYTES))?.[1] ?? 0)
    this.answer = null
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null }
    // 101 switched; a 4xx is the app's own answer to the request; anything but HTTP is a failure.
    this.cluster.record(this.endpoint!, status >= 100 && status < 500)
    this.phase = 'tunnel'
    void pipeSockets(this.client, upstream, this.idleMs).closed.then(() => this.end())
  }

  /** Reset or closed before answering: the endpoint's failure (a client that left first ended it already). */
  private readonly onUpstreamGone = (): void => {
    if (this.phase !== 'answering') return
    this.cluster.record(this.endpoint!, false)
    this.refuse(new ProxyError('upstream_reset', `${this.cluster.service} closed the connection without answering the upgrade`))
  }

  private readonly onNoAnswer = (): void => {
    this.timer = null
    if (this.phase !== 'answering') return
    this.cluster.record(this.endpoint!, false)
    this.refuse(new ProxyError('timeout', `${this.cluster.service} did not answer the upgrade within ${this.idleMs}ms`))
  }

  private refuse(err: ProxyError): void {
    rejectUpgrade(this.client, err)
    this.end()
  }

  /** Every way an upgrade ends comes here, maybe more than once: the slot is freed the first time
   *  one is held, a queued admission is withdrawn, and the upstream connection closed. */
  private end(): void {
    if (this.held !== null) { const b = this.held; this.held = null; b.release() }
    if (this.phase === 'done') return
    this.phase = 'done'
    if (this.waiting !== null) { this.queuedOn!.cancel(this.waiting); this.waiting = null; this.queuedOn = null }
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null }
    this.upstream?.destroy()
  }
}
