// One client connection served by the listener's HTTP/1.1 fast path: it reads request heads and
// bodies off the socket, hands each request to the listener, and writes responses in order, one
// request at a time (bytes of a pipelined next request wait until the current response is done).
// At a request boundary, any request the strict parser does not take (parse-request-head.ts) hands
// the whole connection to Node's HTTP server, bytes included, which then serves it to the end.
import type { Socket } from 'node:net'
import { scanBlock, type BlockScan } from '../../http1/header-block.js'
import { parseFieldLines } from '../../http1/field-lines.js'
import { ChunkDecoder, ChunkState, type ChunkSink } from '../../http1/chunk-decoder.js'
import { BodyKind, parseRequestHead } from './parse-request-head.js'
import { H1Request, type BodySource } from './server-request.js'
import { H1Response, type ResponseSink } from './server-response.js'
import { OVERSIZED_BODY_RESPONSE } from '../body-limit.js'
import { closingResponse } from '../closing-response.js'
import { closeLingering } from '../lingering-close.js'
import { nowMs } from '../../../lib/monotonic-clock.js'

/** The listener a connection serves. */
export interface H1Host {
  readonly maxHeadBytes: number
  readonly maxBodyBytes: number
  readonly draining: boolean
  serve(req: H1Request, res: H1Response): void
  /** Gives the connection, with `bytes` not yet parsed, to Node's HTTP server. */
  handOver(socket: Socket, bytes: Buffer | null): void
  forget(conn: H1ServerConnection): void
}

const enum Phase { Head, Body, Trailers, Responding, Closed }

// As Node's server answers parser errors (`onClientError` in http-listener.ts): same reasons, same body shape.
const TIMEOUT_RESPONSE = closingResponse(408, 'Request Timeout', 'timeout', 'ERR_HTTP_REQUEST_TIMEOUT')
const BAD_BODY_RESPONSE = closingResponse(400, 'Bad Request', 'bad_request', 'malformed request body')

export class H1ServerConnection implements BodySource, ResponseSink, ChunkSink {
  private phase = Phase.Head
  /** When the current head's first byte came (0: none yet), or the body started; for the timeouts. */
  headStartMs = 0
  /** When the connection last went idle between requests. */
  idleSinceMs: number
  private pending: Buffer | null = null             // bytes not parsed yet: a partial head, or the next request
  private readonly scan: BlockScan = { pos: 0, lineStart: 0, end: -1, error: null }
  private req: H1Request | null = null
  private res: H1Response | null = null
  private remaining = 0                             // Fixed body: bytes left
  private chunks: ChunkDecoder | null = null
  private bodyDone = false
  private responseDone = false
  private readPaused = false
  private keepAlive = true
  readonly onWritten: (err?: Error | null) => void
  private readonly onDataFn: (b: Buffer) => void
  private readonly onEndFn: () => void
  private readonly onCloseFn: () => void
  private readonly onDrainFn: () => void

  constructor(readonly socket: Socket, private readonly host: H1Host) {
    this.idleSinceMs = nowMs()
    this.onWritten = err => this.written(err)
    this.onDataFn = b => this.onData(b)
    this.onEndFn = () => this.onEnd()
    this.onCloseFn = () => this.onClose()
    this.onDrainFn = () => { const r = this.res; if (r !== null) r.emit('drain') }
    socket.on('data', this.onDataFn)
    socket.on('end', this.onEndFn)
    socket.on('close', this.onCloseFn)
    socket.on('drain', this.onDrainFn)
    socket.on('error', noop)                       // 'close' follows; the request sees it there
  }

  /** Between requests with nothing received: closing loses nothing (the keep-alive timeout runs). */
  get idle(): boolean { return this.phase === Phase.Head && this.headStartMs === 0 }
  /** Part of a request head received (the headers timeout runs from headStartMs). */
  get readingHead(): boolean { return this.phase === Phase.Head && this.headStartMs > 0 }
  /** A request body still arriving (the request timeout runs from headStartMs). */
  get readingBody(): boolean { return (this.phase === Phase.Body || this.phase === Phase.Trailers) && !this.responseDone }
  /** Answered, and the rest of the body is being read and dropped: the keep-alive timeout runs from
   *  the answer (idleSinceMs), the request timeout from headStartMs. */
  get droppingBody(): boolean { return (this.phase === Phase.Body || this.phase === Phase.Trailers) && this.responseDone }

  /** Answers 408 and closes (a head or body that did not arrive in time); a response already under
   *  way is cut off. */
  timeOut(): void {
    const res = this.res
    if (res === null || !res.headersSent) { this.closeSoon(TIMEOUT_RESPONSE); return }
    this.phase = Phase.Closed
    setTimeout(destroySocket, 1000, this.socket).unref()
  }

  close(): void { this.socket.destroy() }

  // ---- reading

  private onData(buf: Buffer): void {
    switch (this.phase) {
      case Phase.Head: this.readHead(buf); return
      case Phase.Body: case Phase.Trailers: this.readBody(buf, 0); return
      case Phase.Responding: this.hold(buf); return
      default:
    }
  }

  private readHead(buf: Buffer): void {
    let b = buf
    if (this.pending !== null) { b = Buffer.concat([this.pending, buf]); this.pending = null }
    if (this.headStartMs === 0) this.headStartMs = nowMs()
    const sc = this.scan
    scanBlock(b, sc, this.host.maxHeadBytes)
    if (sc.error !== null) { this.handOver(b); return }
    if (sc.end < 0) { this.pending = b; return }
    const head = parseRequestHead(b, sc.end)
    if (head === null) { this.handOver(b); return }
    const rest = sc.end
    sc.pos = 0; sc.lineStart = 0; sc.end = -1
    const req = new H1Request(this.socket, head.method, head.url, head.headers, head.rawHeaders, this)
    const res = new H1Response(req, this.socket, this, head.keepAlive && !this.host.draining)
    req.maxBodyBytes = this.host.maxBodyBytes
    this.req = req
    this.res = res
    this.keepAlive = head.keepAlive
    this.responseDone = false
    this.bodyDone = head.body === BodyKind.None
    if (head.body === BodyKind.Fixed) { this.phase = Phase.Body; this.remaining = head.length }
    else if (head.body === BodyKind.Chunked) { this.phase = Phase.Body; this.remaining = -1; (this.chunks ??= new ChunkDecoder()).reset() }
    else { this.phase = Phase.Responding; req.end() }
    this.host.serve(req, res)
    if (rest < b.length && (this.phase as Phase) !== Phase.Closed) {
      if (this.phase === Phase.Responding) this.hold(b.subarray(rest))
      else this.readBody(b, rest)
    }
  }

  private readBody(b: Buffer, i: number): void {
    const n = b.length
    const req = this.req as H1Request
    while (i < n && !this.bodyDone) {
      if (this.phase === Phase.Trailers) { i = this.readTrailers(b, i); if (i < 0) return; continue }
      if (this.remaining >= 0) {
        const take = Math.min(this.remaining, n - i)
        this.remaining -= take
        req.push(b.subarray(i, i + take))
        i += take
        if (this.remaining === 0) this.bodyComplete()
        continue
      }
      const dec = this.chunks as ChunkDecoder
      const at = dec.execute(b, i, n, this)
      if (at < 0) { this.badBody(); return }
      i = at
      if (dec.state === ChunkState.Trailers) this.phase = Phase.Trailers
    }
    if (!this.bodyDone || this.phase === Phase.Closed) return
    const rest = i < n ? b.subarray(i) : null
    if (this.responseDone) this.next(rest)
    else if (rest !== null) this.hold(rest)
  }

  chunkData(buf: Buffer, from: number, to: number): void { this.req?.push(buf.subarray(from, to)) }

  /** The trailer section of a chunked body (dropped: the request went upstream without it). Returns
   *  the index in `buf` just past it, or -1 while it is incomplete (or malformed: the connection closes). */
  private readTrailers(buf: Buffer, i: number): number {
    let b = i > 0 ? buf.subarray(i) : buf
    let base = 0
    if (this.pending !== null) { base = this.pending.length; b = Buffer.concat([this.pending, b]); this.pending = null }
    const sc = this.scan
    scanBlock(b, sc, this.host.maxHeadBytes)
    if (sc.error !== null) { this.badBody(); return -1 }
    if (sc.end < 0) { this.pending = b; return -1 }
    // Read to refuse what Node's parser refuses (obs-fold, a line without a name); then dropped.
    if (sc.end > 2 && parseFieldLines(b, 0, sc.end - 2, []) === null) { this.badBody(); return -1 }
    const at = i + sc.end - base
    sc.pos = 0; sc.lineStart = 0; sc.end = -1
    this.bodyComplete()
    return at
  }

  private bodyComplete(): void {
    this.bodyDone = true
    if (this.phase !== Phase.Closed) this.phase = Phase.Responding
    ;(this.req as H1Request).end()
  }

  /** Bytes of the next request, kept (and the socket paused) until this response is done. */
  private hold(b: Buffer): void {
    this.pending = this.pending === null ? b : Buffer.concat([this.pending, b])
    this.pauseReading()
  }

  private badBody(): void {
    const res = this.res
    if (res !== null && !res.headersSent && this.socket.writable) this.closeSoon(BAD_BODY_RESPONSE)
    else this.socket.destroy()
  }

  pauseReading(): void { if (!this.readPaused) { this.readPaused = true; this.socket.pause() } }
  resumeReading(): void { if (this.readPaused && this.phase !== Phase.Responding) { this.readPaused = false; this.socket.resume() } }

  bodyTooLarge(): void {
    const res = this.res
    this.keepAlive = false
    if (res !== null && res.writableEnded) return           // answered already: the connection closes after it
    if (res !== null && !res.headersSent && this.socket.writable) this.closeSoon(OVERSIZED_BODY_RESPONSE)
    else this.socket.destroy()
  }

  // ---- writing

  /** The response's last write completed. */
  private written(err?: Error | null): void {
    const res = this.res
    if (res === null) return
    if (err) { this.socket.destroy(); return }
    this.responseDone = true
    res.finish()
    // Closed after this answer: ended, and destroyed soon even if the client never closes its side.
    if (!this.keepAlive || !res.shouldKeepAlive || this.host.draining) { this.closeSoon(null); return }
    // The body is still coming (the answer did not wait for it): read and drop the rest, then go on.
    if (!this.bodyDone) { this.idleSinceMs = nowMs(); (this.req as H1Request).dump(); return }
    this.next(null)
  }

  /** Ready for the next request: parse what is held, or read on. */
  private next(rest: Buffer | null): void {
    this.req = null
    this.res = null
    this.phase = Phase.Head
    this.headStartMs = 0
    this.idleSinceMs = nowMs()
    let held = this.pending
    this.pending = null
    if (rest !== null) held = held === null ? rest : Buffer.concat([held, rest])
    if (this.readPaused) { this.readPaused = false; this.socket.resume() }
    if (held !== null) this.readHead(held)
  }

  // ---- the socket's end

  private onEnd(): void {
    // As Node's server without half-open: a client that stops sending gets no more answers.
    if (this.req !== null && !this.bodyDone) this.req.closed()
    if (this.socket.writable) this.socket.end()
  }

  private onClose(): void {
    this.phase = Phase.Closed
    const req = this.req, res = this.res
    this.req = null
    this.res = null
    this.pending = null
    if (req !== null && !req.complete) req.closed()
    if (res !== null) res.close()
    this.host.forget(this)
  }

  /** Ends the connection (with `answer` first, if any), reading and dropping what the client still
   *  sends for a while (lingering-close.ts), so the answer is not lost to a reset. */
  private closeSoon(answer: string | null): void {
    this.phase = Phase.Closed
    this.pending = null
    closeLingering(this.socket, answer)
  }

  private handOver(bytes: Buffer): void {
    const s = this.socket
    s.off('data', this.onDataFn)
    s.off('end', this.onEndFn)
    s.off('close', this.onCloseFn)
    s.off('drain', this.onDrainFn)
    s.off('error', noop)
    this.phase = Phase.Closed
    this.pending = null
    this.host.forget(this)
    this.host.handOver(s, bytes)
  }
}

function noop(): void {}
function destroySocket(socket: Socket): void { socket.destroy() }
