// ClientTrafficPolicy timeouts.request for HTTP/2 requests (h2c and h2 over TLS), by the rule the
// HTTP/1.1 listener follows: a request whose headers and body have not all arrived within the
// timeout gets 408 `timeout` (a gRPC request: a trailers-only DEADLINE_EXCEEDED) unless it was
// answered already, and its stream alone is reset; the connection goes on serving its other
// streams. A response already under way is cut off (RST_STREAM INTERNAL_ERROR), as on HTTP/1.1.
// On HTTP/2 the clock starts at the request's HEADERS, when the stream opens.
// Streams are checked once a second, as Node's HTTP/1.1 server and the fast path (h1/) check
// theirs: a request costs one map entry and one shared listener, no timer or closure of its own.
import type { ServerResponse } from 'node:http'
import type { ServerHttp2Stream } from 'node:http2'
import { cutOff, ProxyError, respondError } from '../errors.js'
import { markBodyCut } from '../exchange.js'
import { nowMs } from '../../lib/monotonic-clock.js'

const CHECK_INTERVAL_MS = 1000

export class H2RequestTimeouts {
  /** Requests still arriving → when their stream opened. */
  private readonly started = new Map<ServerResponse, number>()
  private checker: NodeJS.Timeout | null = null
  /** Drops a response whose stream closed; one function for all, `this` being the response. */
  private readonly forget: (this: ServerResponse) => void

  /** `timeoutMs` is read at each check, so a changed policy reaches requests already open. */
  constructor(private readonly timeoutMs: () => number) {
    const started = this.started
    this.forget = function forgetClosed(this: ServerResponse) { started.delete(this) }
  }

  /** Starts the clock for an HTTP/2 request that has just opened its stream. */
  track(res: ServerResponse): void {
    this.started.set(res, nowMs())
    res.on('close', this.forget)
    this.checker ??= setInterval(() => this.check(nowMs()), CHECK_INTERVAL_MS).unref()
  }

  /** Times out what is overdue and forgets what has arrived; stops checking once nothing is left. */
  check(now: number): void {
    const ms = this.timeoutMs()
    for (const [res, start] of this.started) {
      const stream = streamOf(res)
      if (ms <= 0 || stream.destroyed || stream.closed || arrived(stream)) { this.started.delete(res); continue }
      if (now - start <= ms) continue
      this.started.delete(res)
      timeOut(res, stream, ms)
    }
    if (this.started.size === 0) this.stop()
  }

  /** Stops checking (the listener closes); streams still open are left to the session's end. */
  stop(): void {
    if (this.checker !== null) { clearInterval(this.checker); this.checker = null }
  }
}

function streamOf(res: ServerResponse): ServerHttp2Stream {
  return (res as unknown as { stream: ServerHttp2Stream }).stream
}

/** The client has sent the whole request (END_STREAM), whether or not the proxy has read it all. */
function arrived(stream: ServerHttp2Stream): boolean {
  return stream.readableEnded || stream.state.remoteClose === 1
}

/**
 * 408 on the stream, then RST_STREAM NO_ERROR to stop the upload (as HTTP/2 lets a server that has
 * answered do); the upstream request is given up with it, its body never passed on as complete
 * (Node ends the body of a stream closed with NO_ERROR as if it were). An answer already complete
 * only stops the upload; one under way is reset, so the client sees it fail rather than end.
 */
function timeOut(res: ServerResponse, stream: ServerHttp2Stream, ms: number): void {
  if (res.req !== undefined) markBodyCut(res.req)
  if (res.headersSent && !res.writableEnded) { cutOff(res, new ProxyError('timeout', `request not received within ${ms} ms`, 408)); return }
  if (!res.headersSent) respondError(res, new ProxyError('timeout', `request not received within ${ms} ms`, 408))
  stream.close()
}
