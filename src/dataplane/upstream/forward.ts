// Sends a request to a Service and streams the response back: circuit breaker admission, then
// attempts on endpoints picked by the balancer, retried per the retry policy within the retry
// budget, each attempt fed to outlier detection. Bodies are piped, never buffered whole; a body is
// kept for replay only up to REPLAY_LIMIT bytes, beyond which the request is not retried.
import type { OutgoingHttpHeaders } from 'node:http'
import type { ClientHttp2Stream } from 'node:http2'
import { http2 } from '../../lib/lazy-http2.js'
import { formatGrpcTimeout, isGrpc, MAX_TIMER_MS, parseGrpcTimeout } from '../grpc/grpc-status.js'
import { h2RequestHeaders, withoutPseudo } from './h2-headers.js'
import { backoffDelayMs } from '../../lib/backoff.js'
import { cutOff, endWithHeaders, ProxyError, respondError } from '../errors.js'
import { bodyCut, clientGone, requestHasBody, startBodyTaps, type Exchange } from '../exchange.js'
import { forwardResponseHeaders, h2TrailerObject } from '../listener/forward-headers.js'
import { RetryPolicy, type AttemptFailure } from '../resilience/retry-policy.js'
import type { CircuitBreaker } from '../resilience/circuit-breaker.js'
import type { Cluster } from './cluster.js'
import type { Endpoint } from './endpoint.js'
import { H1Attempt, type AttemptOwner } from './h1/h1-attempt.js'
import { buildRequestHead, type RequestHead } from './h1/request-head.js'
import { nowMs } from '../../lib/monotonic-clock.js'

export interface ForwardOptions {
  readonly timeoutMs: number             // whole request, 0 = none
  readonly attemptTimeoutMs: number      // one try, 0 = none (a retry policy's perTryTimeout wins)
  readonly retry: RetryPolicy | null     // a route's own retry; null = the destination's policy
}

/** Called once per request with its final status; prepared once per backend, not per request. */
export type Done = (status: number, x: Exchange) => void

export const REPLAY_LIMIT = 64 * 1024
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])
/**
 * An h2 stream this proxy gives up is destroyed with an error: RST_STREAM (INTERNAL_ERROR) alone.
 * Without one the reset carries NO_ERROR, and close(code) first ends a request body still open
 * (END_STREAM): either way an upstream may take the request as complete (a gRPC server sees a
 * client stream half-closed) before it learns of the reset.
 */
const CANCELLED = new Error('request given up by the proxy')

/** `hashKey`: the request's RingHash key, when its cluster balances by one. */
export function forward(x: Exchange, cluster: Cluster, opts: ForwardOptions, done: Done, hashKey: string | null = null): void {
  new Forwarding(x, cluster, opts, done, hashKey).start()
}

/** Where the request body goes: the current attempt (an HTTP/1.1 attempt or an h2 stream). */
interface BodySink {
  readonly destroyed: boolean
  write(chunk: Buffer): boolean
  end(): void
  once(event: 'drain', fn: () => void): unknown
}

class Forwarding implements AttemptOwner {
  readonly retry: RetryPolicy
  finished = false
  private timer: NodeJS.Timeout | null = null
  private upstream: H1Attempt | ClientHttp2Stream | null = null
  /** gRPC deadline (epoch ms) from the caller's grpc-timeout; 0 = none. Propagated to the next hop. */
  private deadline = 0
  private bodyless = false
  private kept: Buffer[] | null = null        // the body's first bytes, for replay on a retry
  private keptBytes = 0
  private overflow = false                    // more than REPLAY_LIMIT: no longer replayable
  private bodyEnded = false
  private sink: BodySink | null = null        // the attempt the body currently flows to
  private tries = 0
  private admitted = false
  /** The circuit breaker this request is counted by (a config update may replace the cluster's). */
  private breaker: CircuitBreaker | null = null
  /** The request timed out: an attempt given up then counts as the endpoint's error. */
  private timedOut = false

  constructor(readonly x: Exchange, private readonly cluster: Cluster, private readonly opts: ForwardOptions, private readonly done: Done,
      private readonly hashKey: string | null) {
    this.retry = opts.retry ?? cluster.retry
  }

  start(): void {
    const { x, cluster } = this
    if (clientGone(x.res)) { this.finish(499); return }  // the client left before the request got here
    cluster.budget.recordRequest()
    let timeoutMs = this.opts.timeoutMs
    const grpcTimeout = isGrpc(x.req.headers['content-type']) ? parseGrpcTimeout(x.req.headers['grpc-timeout']) : null
    if (grpcTimeout !== null) {
      this.deadline = Date.now() + grpcTimeout
      // A deadline beyond the longest timer (days away) is passed on, but no timer is set for it.
      if (grpcTimeout <= MAX_TIMER_MS && (timeoutMs === 0 || grpcTimeout < timeoutMs)) timeoutMs = Math.max(1, grpcTimeout)
    }
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => this.fail(new ProxyError('timeout', `no response within ${timeoutMs}ms`)), timeoutMs)
    }
    // `on`, not `once`: the response is this request's alone, and once's wrapper costs two objects.
    // Closed before the request finished: the client left (499), or the listener answered it itself
    // (a body over maxRequestBodyBytes) and the upstream's answer has nowhere to go.
    x.res.on('close', () => {
      if (this.finished) return
      this.cancelUpstream()
      this.finish(x.res.writableFinished ? x.res.statusCode : 499)
    })
    const breaker = cluster.breaker
    if (!breaker) { this.admitted = true; this.startBody(); return }
    this.breaker = breaker
    const admit = () => { this.admitted = true; if (this.finished) breaker.release(); else this.startBody() }
    if (!breaker.acquire(admit)) {
      this.fail(new ProxyError('overloaded', `too many requests to ${cluster.service} (circuit breaker)`))
      return
    }
    if (!this.admitted) x.res.once('close', () => { if (!this.admitted) breaker.cancel(admit) })
  }

  /**
   * The body streams to the current attempt as it arrives (never waiting for all of it, so a
   * bidirectional stream flows) while its first REPLAY_LIMIT bytes are kept, so a retry can replay
   * them and continue. Past the limit the request is no longer retriable.
   */
  private startBody(): void {
    const req = this.x.req
    if (!requestHasBody(req)) { this.bodyless = true; this.attempt(null); return }
    startBodyTaps(this.x)
    this.kept = []
    req.on('data', (chunk: Buffer) => {
      if (!this.overflow) {
        (this.kept as Buffer[]).push(chunk)
        this.keptBytes += chunk.length
        if (this.keptBytes > REPLAY_LIMIT) { this.overflow = true; this.kept = null }
      }
      const sink = this.sink
      // Between a failed try and its retry the body waits, so a backoff cannot let it outgrow replay.
      if (sink === null) { req.pause(); return }
      if (!sink.destroyed && !sink.write(chunk)) {
        req.pause()
        sink.once('drain', () => req.resume())
      }
    })
    req.once('end', () => {
      // A reset stream's body is not ended upstream, which would pass it on as complete: the upstream
      // request is cut off too.
      if (bodyCut(req)) { if (!this.finished) { this.cancelUpstream(); this.finish(499) } return }
      this.bodyEnded = true
      if (this.sink && !this.sink.destroyed) this.sink.end()
    })
    this.attempt(null)
  }

  /** Points the request body at a new attempt: what was kept first, then the rest as it comes. */
  private feed(sink: BodySink): void {
    this.sink = sink
    if (this.bodyless) { sink.end(); return }
    if (this.x.req.isPaused()) this.x.req.resume()     // a failed attempt may have held it back
    if (this.kept !== null) for (const c of this.kept) sink.write(c)
    if (this.bodyEnded) sink.end()
  }

  private attempt(avoid: Endpoint | null): void {
    if (this.finished) return
    const { x, cluster } = this
    const ep = cluster.pick(this.hashKey, avoid)
    if (!ep) { this.fail(new ProxyError('unavailable', `no healthy endpoint for ${cluster.service}`)); return }
    this.tries++
    const started = nowMs()
    ep.stats.onStart(started)
    if (this.deadline > 0) x.headers['grpc-timeout'] = formatGrpcTimeout(this.deadline - Date.now())
    if (cluster.protocol === 'http2' || cluster.protocol === 'grpc') {
      let ended = false
      this.attemptH2(ep, ok => {
        if (ended) return
        ended = true
        if (ok === null) this.abandonAttempt(ep, started)
        else this.recordAttempt(ep, started, ok)
      })
      return
    }
    const tryTimeout = this.retry.perTryTimeoutMs || this.opts.attemptTimeoutMs
    let head: RequestHead
    try { head = buildRequestHead(x.req.method ?? 'GET', x.target, x.headers, ep.hostHeader, !this.bodyless) } catch (err) {
      this.recordAttempt(ep, started, false)
      this.fail(new ProxyError('bad_request', `${cluster.service}: ${(err as Error).message}`))
      return
    }
    const up = new H1Attempt(this, ep, started, head, ep.h1.acquire(), tryTimeout)
    this.upstream = up
    this.feed(up)
    x.req.resume()
  }

  /** One attempt over the endpoint's multiplexed h2c session (http2 and grpc Services). */
  /** `end`: the attempt's outcome, once; null when it was given up (the request finished without it). */
  private attemptH2(ep: Endpoint, end: (ok: boolean | null) => void): void {
    const constants = http2().constants
    const { x, cluster } = this
    let stream: ClientHttp2Stream
    try {
      stream = ep.h2().request(h2RequestHeaders(x.req.method ?? 'GET', x.target, x.headers), { endStream: this.bodyless })
    } catch (err) {
      end(false)
      if (!this.retryAfter('connect-failure', ep)) this.fail(new ProxyError('unavailable', `${cluster.service}: ${(err as Error).message}`))
      return
    }
    this.upstream = stream
    let responded = false
    // Given up by this proxy (timed out): its reset is not another failure to retry or answer.
    let givenUp = false
    const tryTimeout = this.retry.perTryTimeoutMs || this.opts.attemptTimeoutMs
    if (tryTimeout > 0) {
      stream.setTimeout(tryTimeout, () => {
        if (responded) return
        givenUp = true
        end(false)
        stream.destroy(CANCELLED)
        if (!this.retryAfter('timeout', ep)) this.fail(new ProxyError('timeout', `${cluster.service} did not answer within ${tryTimeout}ms`))
      })
    }
    stream.on('response', (headers, flags) => {
      responded = true
      const status = Number(headers[':status'] ?? 502)
      if (this.finished) { stream.close(); end(status < 500); return }
      if (x.res.headersSent) { end(status < 500); this.answered(); return }
      const grpcStatus = headers['grpc-status'] === undefined ? -1 : Number(headers['grpc-status'])
      // The callee's app never saw it; only a mesh proxy's word counts, an app's is dropped below.
      const meshUnavailable = status === 503 && ep.meshProxy && headers['x-trellis-reason'] === 'unavailable'
      if ((this.retry.retriesStatus(status) || meshUnavailable || (grpcStatus > 0 && this.retry.retriesGrpc(grpcStatus))) && this.mayRetry(false)) {
        end(status < 500)
        stream.close()
        this.scheduleRetry(ep)
        return
      }
      this.responseStarted()
      const out = forwardResponseHeaders(withoutPseudo(headers), !ep.meshProxy)
      if (x.responseHeaders) x.responseHeaders(out)
      if (flags & constants.NGHTTP2_FLAG_END_STREAM) { // trailers-only (e.g. a gRPC status without a message)
        endWithHeaders(x.res, status, out)
        stream.resume()
        end(status < 500)
        this.finish(status)
        return
      }
      x.res.writeHead(status, out)
      stream.on('trailers', trailers => x.res.addTrailers(h2TrailerObject(trailers)))
      // Ended here, not by pipe: a stream whose connection was lost mid-response also ends (with a
      // reset code), and the client must see that response fail rather than complete.
      stream.pipe(x.res, { end: false })
      stream.once('end', () => {
        const code = stream.rstCode
        if (code !== undefined && code !== constants.NGHTTP2_NO_ERROR) {
          end(false)
          cutOff(x.res, new ProxyError('upstream_reset', `${cluster.service}: response cut off (${code})`))
          this.finish(502)
          return
        }
        x.res.end()
        end(status < 500)
        this.finish(status)
      })
    })
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (this.finished || givenUp) return
      end(false)
      if (responded) { cutOff(x.res, new ProxyError('upstream_reset', `${cluster.service}: response cut off`)); this.finish(502); return }
      // A refused stream or a session that never connected reached no app.
      const kind: AttemptFailure = CONNECT_ERRORS.has(err.code ?? '') || /REFUSED_STREAM|ECONNREFUSED/.test(`${err.message} ${(err as { cause?: Error }).cause?.message ?? ''}`)
        ? 'connect-failure' : 'reset'
      if (this.retryAfter(kind, ep)) return
      const refused = kind === 'connect-failure'
      this.fail(new ProxyError(refused ? 'unavailable' : 'upstream_reset', `${cluster.service}: ${err.code ?? err.message}`, refused ? 503 : 502, { cause: err }))
    })
    stream.on('close', () => {
      if (this.finished) { end(null); return }        // no-op once the outcome was recorded
      if (responded || givenUp) return
      end(false)
      const code = stream.rstCode
      // Closed without an answer: reset, or cleanly (NO_ERROR) by an upstream that sends nothing more,
      // which would otherwise leave the client waiting for a timeout that may never come.
      const refused = code === constants.NGHTTP2_REFUSED_STREAM
      if (!this.retryAfter(refused ? 'connect-failure' : 'reset', ep)) {
        const why = code === undefined || code === constants.NGHTTP2_NO_ERROR ? 'stream closed without a response' : `stream reset (${code})`
        this.fail(new ProxyError('upstream_reset', `${cluster.service}: ${why}`))
      }
    })
    if (!this.bodyless) this.feed(stream)
  }

  /** The listener answered the request itself meanwhile (a body over the size limit): the upstream's
   *  answer has nowhere to go, so the attempt is given up and the request ends with that answer. */
  answered(): void {
    if (this.finished) return
    this.cancelUpstream()
    this.finish(this.x.res.statusCode)
  }

  /** Gives up the current attempt: its HTTP/1.1 connection is closed, its h2 stream reset. */
  private cancelUpstream(): void {
    const up = this.upstream
    if (up === null) return
    if (up instanceof H1Attempt) up.destroy()
    else up.destroy(CANCELLED)
  }

  get service(): string { return this.cluster.service }

  /** The response head goes to the client: the request timeout (until the response starts) is met.
   *  A gRPC deadline bounds the whole call, so it keeps running. */
  responseStarted(): void {
    if (this.timer !== null && this.deadline === 0) { clearTimeout(this.timer); this.timer = null }
  }

  recordAttempt(ep: Endpoint, startedMs: number, ok: boolean): void {
    const now = nowMs()
    ep.stats.onEnd(now, now - startedMs, ok)
    this.cluster.record(ep, ok)
  }

  abandonAttempt(ep: Endpoint, startedMs: number): void {
    const now = nowMs(), ok = !this.timedOut
    ep.stats.onEnd(now, now - startedMs, ok)
    if (!ok) this.cluster.record(ep, false)
  }

  retryAfter(kind: AttemptFailure, ep: Endpoint): boolean {
    if (!this.retry.retriesFailure(kind) || !this.mayRetry(kind === 'connect-failure')) return false
    this.scheduleRetry(ep)
    return true
  }

  /** Retries left, body replayable, method safe (unless nothing reached the app), and budget allows. */
  mayRetry(connectFailure: boolean): boolean {
    if (this.finished || this.x.res.headersSent || this.tries > this.retry.attempts) return false
    if (this.overflow) return false
    if (!connectFailure && !RetryPolicy.idempotent(this.x.req.method ?? 'GET')) return false
    return this.cluster.budget.tryRetry()
  }

  scheduleRetry(failed: Endpoint): void {
    this.sink = null                                  // the failed try takes no more of the body
    this.cluster.retries++
    const delay = backoffDelayMs(this.tries - 1, this.retry.backoffBaseMs, this.retry.backoffMaxMs, Math.random())
    if (delay <= 0) { this.attempt(failed); return }
    setTimeout(() => this.attempt(failed), delay)
  }

  fail(err: ProxyError): void {
    if (this.finished) return
    if (err.reason === 'timeout') this.timedOut = true
    this.cancelUpstream()
    respondError(this.x.res, err)
    this.finish(err.status)
  }

  finish(status: number): void {
    if (this.finished) return
    this.finished = true
    if (this.x.bodyTaps) { for (const t of this.x.bodyTaps) t.abort(); this.x.bodyTaps = null }
    if (this.timer) clearTimeout(this.timer)
    if (this.admitted && this.breaker !== null) this.breaker.release()
    this.done(status, this.x)
  }
}

export function fail(x: Exchange, err: ProxyError, done: Done): void {
  respondError(x.res, err)
  done(err.status, x)
}
