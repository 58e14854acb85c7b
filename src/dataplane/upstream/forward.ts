// Sends a request to a Service and streams the response back: circuit breaker admission, then
// attempts on endpoints picked by the balancer, retried per the retry policy within the retry
// budget, each attempt fed to outlier detection. Bodies are piped, never buffered whole; a body is
// kept for replay only up to REPLAY_LIMIT bytes, beyond which the request is not retried.
import { request, type ClientRequest, type IncomingMessage } from 'node:http'
import { backoffDelayMs } from '../../lib/backoff.js'
import { monotonicNowMs } from '../balance/endpoint-stats.js'
import { ProxyError, respondError } from '../errors.js'
import { startBodyTaps, type Exchange } from '../exchange.js'
import { forwardResponseHeaders } from '../listener/forward-headers.js'
import { RetryPolicy, type AttemptFailure } from '../resilience/retry-policy.js'
import type { Cluster } from './cluster.js'
import type { Endpoint } from './endpoint.js'

export interface ForwardOptions {
  readonly timeoutMs: number             // whole request, 0 = none
  readonly attemptTimeoutMs: number      // one try, 0 = none (a retry policy's perTryTimeout wins)
  readonly retry: RetryPolicy | null     // a route's own retry; null = the destination's policy
  readonly hashKey: string | null
}

export type Done = (status: number) => void

export const REPLAY_LIMIT = 64 * 1024
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

export function forward(x: Exchange, cluster: Cluster, opts: ForwardOptions, done: Done): void {
  new Forwarding(x, cluster, opts, done).start()
}

class Forwarding {
  private readonly retry: RetryPolicy
  private finished = false
  private timer: NodeJS.Timeout | null = null
  private upstream: ClientRequest | null = null
  private body: Buffer | null = null          // replayable body (null = none or not replayable)
  private replayable = true
  private tries = 0
  private admitted = false

  constructor(private readonly x: Exchange, private readonly cluster: Cluster, private readonly opts: ForwardOptions, private readonly done: Done) {
    this.retry = opts.retry ?? cluster.retry
  }

  start(): void {
    const { x, cluster } = this
    cluster.budget.recordRequest()
    if (this.opts.timeoutMs > 0) {
      this.timer = setTimeout(() => this.fail(new ProxyError('timeout', `no response within ${this.opts.timeoutMs}ms`)), this.opts.timeoutMs)
    }
    x.res.once('close', () => { if (!x.res.writableFinished) { this.upstream?.destroy(); this.finish(499) } })
    const breaker = cluster.breaker
    if (!breaker) { this.admitted = true; this.readBody(); return }
    const admit = () => { this.admitted = true; if (this.finished) breaker.release(); else this.readBody() }
    if (!breaker.acquire(admit)) {
      this.fail(new ProxyError('overloaded', `too many requests to ${cluster.service} (circuit breaker)`))
      return
    }
    if (!this.admitted) x.res.once('close', () => { if (!this.admitted) breaker.cancel(admit) })
  }

  /** Bodyless requests go at once; small bodies are kept for replay when a retry could need them. */
  private readBody(): void {
    const h = this.x.req.headers
    const te = h['transfer-encoding'] !== undefined
    const length = h['content-length'] === undefined ? 0 : Number(h['content-length'])
    if (!te && length === 0) { this.body = EMPTY; this.attempt(null); return }
    startBodyTaps(this.x)
    if (this.retry.attempts === 0 || (!te && length > REPLAY_LIMIT)) { this.replayable = false; this.attempt(null); return }
    const chunks: Buffer[] = []
    let size = 0
    const req = this.x.req
    const onData = (c: Buffer) => {
      chunks.push(c)
      size += c.length
      if (size > REPLAY_LIMIT) {         // too big to keep: stream it, no retries
        req.off('data', onData); req.off('end', onEnd); req.pause()
        this.replayable = false
        this.attempt(null, chunks)
      }
    }
    const onEnd = () => { this.body = Buffer.concat(chunks, size); this.attempt(null) }
    req.on('data', onData)
    req.once('end', onEnd)
  }

  private attempt(avoid: Endpoint | null, prefix: Buffer[] | null = null): void {
    if (this.finished) return
    const { x, cluster } = this
    const ep = cluster.pick(this.opts.hashKey, avoid)
    if (!ep) { this.fail(new ProxyError('unavailable', `no healthy endpoint for ${cluster.service}`)); return }
    this.tries++
    const started = monotonicNowMs()
    ep.stats.onStart(started)
    let ended = false
    const end = (ok: boolean) => {
      if (ended) return
      ended = true
      const now = monotonicNowMs()
      ep.stats.onEnd(now, now - started, ok)
      cluster.record(ep, ok)
    }
    const up = request({ host: ep.host, port: ep.port, method: x.req.method, path: x.target, headers: x.headers, agent: ep.agent })
    this.upstream = up
    const tryTimeout = this.retry.perTryTimeoutMs || this.opts.attemptTimeoutMs
    if (tryTimeout > 0) {
      up.setTimeout(tryTimeout, () => {
        end(false)
        up.destroy()
        if (!this.retryAfter('timeout', ep)) this.fail(new ProxyError('timeout', `${cluster.service} did not answer within ${tryTimeout}ms`))
      })
    }
    up.on('response', (upRes: IncomingMessage) => {
      const status = upRes.statusCode ?? 502
      if (this.finished || ended) { upRes.resume(); end(status < 500); return }
      if (this.retry.retriesStatus(status) && this.mayRetry(false)) {
        end(status < 500)
        upRes.resume()
        this.scheduleRetry(ep)
        return
      }
      const headers = forwardResponseHeaders(upRes.headers)
      if (x.responseHeaders) x.responseHeaders(headers)
      x.res.writeHead(status, headers)
      upRes.pipe(x.res)
      upRes.once('end', () => { end(status < 500); this.finish(status) })
      upRes.once('error', () => { end(false); x.res.destroy(); this.finish(status) })
    })
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (ended || this.finished) return
      end(false)
      const kind = classify(err, up)
      if (this.retryAfter(kind, ep)) return
      const refused = kind === 'connect-failure'
      this.fail(new ProxyError(refused ? 'unavailable' : 'upstream_reset', `${cluster.service}: ${err.code ?? err.message}`, refused ? 503 : 502, { cause: err }))
    })
    if (this.body) { up.end(this.body); return }
    if (prefix) for (const c of prefix) up.write(c)
    x.req.pipe(up)
    x.req.resume()
  }

  private retryAfter(kind: AttemptFailure, ep: Endpoint): boolean {
    if (!this.retry.retriesFailure(kind) || !this.mayRetry(kind === 'connect-failure')) return false
    this.scheduleRetry(ep)
    return true
  }

  /** Retries left, body replayable, method safe (unless nothing reached the app), and budget allows. */
  private mayRetry(connectFailure: boolean): boolean {
    if (this.finished || this.x.res.headersSent || this.tries > this.retry.attempts) return false
    if (!this.body || !this.replayable) return false
    if (!connectFailure && !RetryPolicy.idempotent(this.x.req.method ?? 'GET')) return false
    return this.cluster.budget.tryRetry()
  }

  private scheduleRetry(failed: Endpoint): void {
    this.cluster.retries++
    const delay = backoffDelayMs(this.tries - 1, this.retry.backoffBaseMs, this.retry.backoffMaxMs, Math.random())
    if (delay <= 0) { this.attempt(failed); return }
    setTimeout(() => this.attempt(failed), delay)
  }

  private fail(err: ProxyError): void {
    if (this.finished) return
    this.upstream?.destroy()
    respondError(this.x.res, err)
    this.finish(err.status)
  }

  private finish(status: number): void {
    if (this.finished) return
    this.finished = true
    if (this.x.bodyTaps) { for (const t of this.x.bodyTaps) t.abort(); this.x.bodyTaps = null }
    if (this.timer) clearTimeout(this.timer)
    if (this.admitted && this.cluster.breaker) this.cluster.breaker.release()
    this.done(status)
  }
}

const EMPTY = Buffer.alloc(0)

/** A refused connection never reached the app; a reset on a reused idle connection did not either. */
function classify(err: NodeJS.ErrnoException, up: ClientRequest): AttemptFailure {
  if (CONNECT_ERRORS.has(err.code ?? '')) return 'connect-failure'
  if (up.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return 'connect-failure'
  return 'reset'
}

export function fail(x: Exchange, err: ProxyError, done: Done): void {
  respondError(x.res, err)
  done(err.status)
}
