// One HTTP/1.1 try of a forwarded request over a pooled connection. It is the request body's sink
// (write/end/destroy/'drain', fed by Forwarding.feed) and the receiver of the parsed response, which
// it streams to the client with back-pressure: the upstream socket pauses while the client is slow.
// Not an EventEmitter: the body's only event is 'drain', kept in a list made when first needed.
import { cutOff, ProxyError } from '../../errors.js'
import type { Exchange } from '../../exchange.js'
import { forwardRawResponseHeaders, responseHeaderObject, trailerObject } from '../../listener/forward-headers.js'
import type { AttemptFailure, RetryPolicy } from '../../resilience/retry-policy.js'
import type { Endpoint } from '../endpoint.js'
import type { H1Connection, H1Exchange } from './connection.js'
import type { RequestHead } from './request-head.js'

/** What an attempt needs from the request it belongs to (Forwarding). */
export interface AttemptOwner {
  readonly x: Exchange
  readonly finished: boolean
  readonly retry: RetryPolicy
  readonly service: string
  mayRetry(connectFailure: boolean): boolean
  scheduleRetry(failed: Endpoint): void
  retryAfter(kind: AttemptFailure, ep: Endpoint): boolean
  /** The attempt's outcome, for the endpoint's load stats and outlier detection (once per attempt). */
  recordAttempt(ep: Endpoint, startedMs: number, ok: boolean): void
  /** The attempt was given up before its outcome was known (timeout, the client left): once per attempt. */
  abandonAttempt(ep: Endpoint, startedMs: number): void
  fail(err: ProxyError): void
  finish(status: number): void
  /** The response head is about to go to the client. */
  responseStarted(): void
  /** The client already has an answer from the listener itself: give the attempt up and finish. */
  answered(): void
}

const LAST_CHUNK = '0\r\n\r\n'

export class H1Attempt implements H1Exchange {
  destroyed = false
  requestDone = false
  private conn: H1Connection | null
  private headSent = false
  private status = 0
  private streaming = false            // the response head went to the client
  private ended = false                // the client's response was ended with the body's last bytes
  private discard = false              // the response is read and dropped (retried, or nobody waits)
  private settled = false              // the outcome was recorded
  private drainFns: (() => void)[] | null = null
  private resumeFn: (() => void) | null = null

  constructor(
    private readonly owner: AttemptOwner,
    private readonly ep: Endpoint,
    private readonly startedMs: number,
    private readonly head: RequestHead,
    conn: H1Connection,
    private readonly timeoutMs: number,
  ) {
    this.conn = conn
    conn.begin(this, owner.x.req.method === 'HEAD', timeoutMs)
    if (head.flushEarly) this.sendHead()
  }

  // ---- the request body's sink

  write(chunk: Buffer): boolean {
    const c = this.conn
    if (c === null || this.destroyed || this.requestDone) return true
    const s = c.socket
    if (chunk.length === 0) return true                 // an empty chunk would end a chunked body
    s.cork()
    if (!this.headSent) { this.headSent = true; s.write(this.head.bytes) }
    let ok: boolean
    if (this.head.chunked) {
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
      s.write(chunk)
      ok = s.write('\r\n', 'latin1')
    } else ok = s.write(chunk)
    s.uncork()                                          // one writev for the head and the chunk
    return ok
  }

  end(): void {
    const c = this.conn
    if (c === null || this.destroyed || this.requestDone) return
    this.requestDone = true
    const s = c.socket
    if (!this.headSent) {
      this.headSent = true
      if (!this.head.chunked) { s.write(this.head.bytes); return }
      s.cork()
      s.write(this.head.bytes)
      s.write(LAST_CHUNK, 'latin1')
      s.uncork()
    } else if (this.head.chunked) s.write(LAST_CHUNK, 'latin1')
  }

  /** The body's 'drain' (the only event a sink needs). */
  once(_event: 'drain', fn: () => void): this {
    if (this.drainFns === null) this.drainFns = [fn]
    else this.drainFns.push(fn)
    return this
  }

  destroy(): void {
    this.destroyed = true
    if (!this.settled) { this.settled = true; this.owner.abandonAttempt(this.ep, this.startedMs) }
    const c = this.conn
    if (c !== null) c.destroy()                        // detaches first: never touches a reused socket
  }

  private sendHead(): void {
    const c = this.conn
    if (c === null || this.headSent) return
    this.headSent = true
    c.socket.write(this.head.bytes)
  }

  private emitDrain(): void {
    const fns = this.drainFns
    if (fns === null) return
    this.drainFns = null
    for (let i = 0; i < fns.length; i++) fns[i]()
  }

  // ---- the connection's reports

  detach(): void {
    this.conn = null
    this.destroyed = true
    // A body still arriving (the response ended first) must not stay paused waiting for this socket.
    if (!this.requestDone) this.emitDrain()
  }
  onDrain(): void { this.emitDrain() }

  onHead(status: number, raw: string[]): void {
    const o = this.owner
    this.status = status
    if (o.finished || this.settled) { this.discard = true; this.report(status < 500); return }
    if (o.x.res.headersSent) { this.discard = true; this.report(status < 500); o.answered(); return }
    // A callee sidecar whose app refused the connection answers 503 `unavailable`: the app never saw
    // the request, so an idempotent one goes to another endpoint whatever the retry policy says. An
    // app's own x-trellis-reason says nothing of the kind, and is dropped below.
    const fromMesh = this.ep.meshProxy
    if ((o.retry.retriesStatus(status) || (status === 503 && fromMesh && meshUnavailable(raw))) && o.mayRetry(false)) {
      this.discard = true
      this.report(status < 500)
      o.scheduleRetry(this.ep)
      return
    }
    o.responseStarted()
    const x = o.x
    const list = forwardRawResponseHeaders(raw, !fromMesh)
    if (x.responseHeaders !== null || x.req.httpVersionMajor === 2) {
      const obj = responseHeaderObject(list)
      if (x.responseHeaders !== null) x.responseHeaders(obj)
      x.res.writeHead(status, obj)
    } else x.res.writeHead(status, list)
    this.streaming = true
  }

  onBody(chunk: Buffer, last: boolean): void {
    if (this.discard || !this.streaming) return
    const res = this.owner.x.res
    // The last bytes of a Content-Length body end the response with them: head, body and end in one write.
    if (last) { this.ended = true; res.end(chunk); return }
    if (!res.write(chunk)) {
      // Held back by the client: the upstream is not idle, so the per-try timeout waits meanwhile.
      const s = this.conn?.socket
      if (s) { s.pause(); if (this.timeoutMs > 0) s.setTimeout(0) }
      res.once('drain', this.resumeFn ??= () => {
        const s = this.conn?.socket
        if (s) { if (this.timeoutMs > 0) s.setTimeout(this.timeoutMs); s.resume() }
      })
    }
  }

  onComplete(trailers: string[] | null): void {
    if (this.discard || !this.streaming) return
    const res = this.owner.x.res
    if (trailers !== null && trailers.length > 0) res.addTrailers(trailerObject(trailers))
    if (!this.ended) res.end()
    this.report(this.status < 500)
    this.owner.finish(this.status)
  }

  onFailure(kind: AttemptFailure, err: Error): void {
    const o = this.owner
    if (this.discard || this.settled || o.finished) return
    this.report(false)
    if (this.streaming) { cutOff(o.x.res, new ProxyError('upstream_reset', `${o.service}: response cut off`)); o.finish(this.status); return }
    if (o.retryAfter(kind, this.ep)) return
    const refused = kind === 'connect-failure'
    const code = (err as NodeJS.ErrnoException).code ?? err.message
    o.fail(new ProxyError(refused ? 'unavailable' : 'upstream_reset', `${o.service}: ${code}`, refused ? 503 : 502, { cause: err }))
  }

  onTimeout(): void {
    const o = this.owner
    if (this.discard) { this.destroy(); return }
    this.report(false)
    this.destroy()
    if (!o.retryAfter('timeout', this.ep)) o.fail(new ProxyError('timeout', `${o.service} did not answer within ${this.timeoutMs}ms`))
  }

  private report(ok: boolean): void {
    if (this.settled) return
    this.settled = true
    this.owner.recordAttempt(this.ep, this.startedMs, ok)
  }
}

/** The response is the mesh's own 503 `unavailable` (x-trellis-reason), not the app's. */
function meshUnavailable(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 16 && raw[i].toLowerCase() === 'x-trellis-reason') return raw[i + 1] === 'unavailable'
  }
  return false
}
