// A strict, incremental HTTP/1.1 response parser for upstream connections. It accepts only what a
// sound server sends: CRLF line ends, no obs-fold, one Content-Length of plain digits, chunked as the
// only transfer coding and never beside Content-Length. Anything else is an error, and the caller
// closes the socket: a proxy that guesses at framing can be smuggled through.
import { equalsLower } from '../../../lib/ascii-case.js'
import { scanBlock, type BlockScan } from '../../http1/header-block.js'
import { ChunkDecoder, ChunkState, type ChunkSink } from '../../http1/chunk-decoder.js'
import { parseFieldLines } from '../../http1/field-lines.js'

export interface ResponseHandler {
  /** A final (non-1xx) response head; `raw` is [name, value, ...] as received. */
  onHead(status: number, raw: string[]): void
  /** A piece of the body; `last` when it ends a Content-Length body (no trailers can follow). */
  onBody(chunk: Buffer, last: boolean): void
  /** The response is complete; `keepAlive` says whether the socket may carry another request. */
  onComplete(trailers: string[] | null, keepAlive: boolean): void
}

export const MAX_HEAD_BYTES = 64 * 1024

const enum S { Head, Fixed, Close, Chunked, Trailers, Done, Dead }

export class ResponseParser implements ChunkSink {
  handler: ResponseHandler | null = null
  /** Why the last execute() failed, or null. */
  error: string | null = null
  /** True once any byte of the current response arrived (a reused socket failing before that reached no app). */
  started = false
  private state = S.Head
  private noBody = false                        // HEAD request: no body whatever the headers say
  private keepAlive = true
  private remaining = 0                         // Fixed: bytes left
  private readonly chunks = new ChunkDecoder()
  private pending: Buffer | null = null         // an unfinished header block, kept across reads
  private readonly scan: BlockScan = { pos: 0, lineStart: 0, end: -1, error: null }
  /** The buffer being parsed is reused by the caller after execute() returns (connection.ts reads
   *  plain sockets into one shared buffer): whatever outlives the call is copied out of it. */
  private transient = false

  constructor(private readonly maxHeadBytes = MAX_HEAD_BYTES) {}

  /** Prepares for the response to the next request. */
  reset(headRequest: boolean): void {
    this.state = S.Head
    this.noBody = headRequest
    this.keepAlive = true
    this.error = null
    this.started = false
    this.pending = null
    this.scan.pos = 0; this.scan.lineStart = 0; this.scan.end = -1; this.scan.error = null
  }

  /** Stops delivering: the exchange was abandoned. */
  abort(): void { this.state = S.Dead; this.pending = null }

  get done(): boolean { return this.state === S.Done }
  /** A close-delimited body in progress: end of stream completes it. */
  get readsUntilClose(): boolean { return this.state === S.Close }

  /**
   * Parses `buf`; returns the bytes consumed up to the end of this response, or -1 on error.
   * `transient`: the caller overwrites `buf` once this returns, so body pieces handed on and an
   * unfinished head kept for the next read are copies.
   */
  execute(buf: Buffer, transient = false): number {
    if (buf.length > 0) this.started = true
    this.transient = transient
    let i = 0
    const n = buf.length
    while (i < n) {
      switch (this.state) {
        case S.Head:
        case S.Trailers: {
          let b = buf
          let base = 0
          let own = false                                         // b is a copy, not a view of buf
          if (this.pending !== null) { b = Buffer.concat([this.pending, buf.subarray(i)]); base = this.pending.length; this.pending = null; own = true }
          else if (i > 0) { b = buf.subarray(i) }
          const sc = this.scan
          scanBlock(b, sc, this.maxHeadBytes)
          if (sc.error !== null) return this.fail(sc.error)
          if (sc.end < 0) { this.pending = transient && !own ? Buffer.from(b) : b; return n }   // wait for more; scan resumes at sc.pos
          const consumed = sc.end - base                          // bytes of `buf` (from i) used
          if (this.state === S.Trailers) {
            const trailers = sc.end > 2 ? parseFieldLines(b, 0, sc.end - 2, []) : []
            if (trailers === null) return this.fail('malformed trailer')
            i += consumed
            return this.complete(i, trailers)
          }
          const r = this.head(b, sc.end)
          if (r !== null) return this.fail(r)
          i += consumed
          sc.pos = 0; sc.lineStart = 0; sc.end = -1
          if ((this.state as S) === S.Done) return this.complete(i, null)
          if ((this.state as S) === S.Head) continue                        // a 1xx: the real head follows
          break
        }
        case S.Fixed: {
          const take = Math.min(this.remaining, n - i)
          this.remaining -= take
          this.deliver(buf, i, i + take, this.remaining === 0)
          i += take
          if (this.remaining === 0) return this.complete(i, null)
          break
        }
        case S.Close:
          this.deliver(buf, i, n, false)
          return n
        case S.Chunked: {
          const at = this.chunks.execute(buf, i, n, this)
          if (at < 0) return this.fail(this.chunks.error ?? 'invalid chunk')
          i = at
          if (this.chunks.state === ChunkState.Trailers) this.state = S.Trailers
          break
        }
        case S.Done:
          return i
        default:
          return -1
      }
      if ((this.state as S) === S.Dead) return -1
    }
    return i
  }

  /** End of stream from the server: completes a close-delimited body; anything else was cut short. */
  finish(): boolean {
    if (this.state !== S.Close) return false
    this.complete(0, null)
    return true
  }

  chunkData(buf: Buffer, from: number, to: number): void { this.deliver(buf, from, to, false) }

  private deliver(buf: Buffer, from: number, to: number, last: boolean): void {
    if (to > from && this.handler !== null) this.handler.onBody(this.transient ? copyOf(buf, from, to) : buf.subarray(from, to), last)
  }

  private fail(reason: string): number {
    this.error = reason
    this.state = S.Dead
    this.pending = null
    return -1
  }

  private complete(at: number, trailers: string[] | null): number {
    this.state = S.Done
    this.handler?.onComplete(trailers, this.keepAlive)
    return at
  }

  /** Status line and fields of a head ending at `end` (after its blank line); sets the body state. */
  private head(b: Buffer, end: number): string | null {
    const eol = b.indexOf(13)
    // "HTTP/1.x SSS" then SP reason, or nothing
    if (eol < 12 || b[0] !== 72 || b[1] !== 84 || b[2] !== 84 || b[3] !== 80 || b[4] !== 47 || b[5] !== 49 || b[6] !== 46) return 'malformed status line'
    const minor = b[7]
    if ((minor !== 48 && minor !== 49) || b[8] !== 32 || (eol > 12 && b[12] !== 32)) return 'malformed status line'
    const d0 = b[9] - 48, d1 = b[10] - 48, d2 = b[11] - 48
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return 'malformed status code'
    const status = d0 * 100 + d1 * 10 + d2
    const raw = parseFieldLines(b, eol + 2, end - 2, [])
    if (raw === null) return 'malformed header field'
    let length = -1
    let chunked = false
    let close = minor === 48                    // HTTP/1.0: one response per connection
    for (let k = 0; k < raw.length; k += 2) {
      const name = raw[k]
      if (equalsLower(name, 'content-length')) {
        if (length !== -1) return 'duplicate content-length'
        const v = raw[k + 1]
        if (v.length === 0 || v.length > 15 || !/^[0-9]+$/.test(v)) return 'invalid content-length'
        length = Number(v)
      } else if (equalsLower(name, 'transfer-encoding')) {
        if (chunked || !equalsLower(raw[k + 1], 'chunked')) return 'unsupported transfer-encoding'
        chunked = true
      } else if (equalsLower(name, 'connection')) {
        const v = raw[k + 1]
        if (equalsLower(v, 'keep-alive')) continue                  // the usual value, without lowercasing it
        const lower = v.toLowerCase()
        if (lower.includes('close')) close = true
        if (lower.includes('upgrade')) close = true
      }
    }
    if (chunked && length !== -1) return 'content-length with transfer-encoding'
    if (status < 200) {
      if (status === 101) return 'unexpected protocol switch'
      this.state = S.Head                       // 100-continue and other interim responses are skipped
      return null
    }
    this.keepAlive = !close
    this.handler?.onHead(status, raw)
    if (this.state === S.Dead) return null      // the handler gave up on this exchange
    if (this.noBody || status === 204 || status === 304) this.state = S.Done
    else if (chunked) { this.state = S.Chunked; this.chunks.reset() }
    else if (length >= 0) { this.remaining = length; this.state = length === 0 ? S.Done : S.Fixed }
    else { this.keepAlive = false; this.state = S.Close }
    return null
  }
}

/** Bytes `from`..`to` of `buf` in a buffer of their own (small ones from Node's shared pool). */
function copyOf(buf: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from)
  buf.copy(out, 0, from, to)
  return out
}
