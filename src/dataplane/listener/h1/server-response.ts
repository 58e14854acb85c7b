// The response side of the listener's HTTP/1.1 fast path: the part of Node's ServerResponse the data
// plane uses (writeHead with an object or a flat [name, value, …] list, setHeader, write/end with
// back-pressure, addTrailers, 'drain', 'finish', 'close') without a Writable stream per response.
// The head is built when the first bytes go out, so a response ended at once goes out in one write
// with a Content-Length; one streamed without a length is chunked. Responses to HEAD, and 204/304,
// never carry a body.
import { LiteEmitter } from '../../../lib/lite-emitter.js'
import { STATUS_CODES, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import { equalsLower } from '../../../lib/ascii-case.js'
import { httpDate } from '../../http1/http-date.js'
import type { H1Request } from './server-request.js'

/** What a response tells its connection. */
export interface ResponseSink {
  /** The response's last bytes were handed to the socket; `done` runs once they are written. */
  readonly onWritten: (err?: Error | null) => void
}

const SMALL = 16 * 1024                         // up to this, head and body are copied into one buffer
const INVALID_VALUE = /[\r\n\0]/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export class H1Response extends LiteEmitter {
  statusCode = 200
  statusMessage: string | undefined = undefined
  /** False: `connection: close` is sent and the connection closes after this response. */
  shouldKeepAlive: boolean
  sendDate = true
  headersSent = false
  writableEnded = false
  writableFinished = false
  destroyed = false
  private fields: string[] | null = null           // from writeHead, as a flat list
  private set: Map<string, [string, OutgoingHttpHeader]> | null = null   // from setHeader, by lowercase name
  private started = false                          // the head is on the wire
  private chunked = false
  private trailers: OutgoingHttpHeaders | null = null
  private closed = false
  private readonly bodyless: boolean

  constructor(readonly req: H1Request, readonly socket: Socket, private readonly sink: ResponseSink, keepAlive: boolean) {
    super()
    this.shouldKeepAlive = keepAlive
    this.bodyless = req.method === 'HEAD'
  }

  // ---- headers

  setHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) throw headersSentError('set')
    checkField(name, value)
    ;(this.set ??= new Map()).set(name.toLowerCase(), [name, value])
    return this
  }

  writeHead(status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    if (this.headersSent) throw headersSentError('write')
    if (typeof reason === 'string') this.statusMessage = reason
    else headers = reason
    this.statusCode = status
    this.headersSent = true
    if (headers === undefined) return this
    if (Array.isArray(headers)) { this.fields = headers as string[]; return this }
    const list: string[] = []
    for (const name in headers) {
      const v = headers[name]
      if (v === undefined) continue
      checkField(name, v)
      if (Array.isArray(v)) for (const item of v) list.push(name, item)
      else list.push(name, String(v))
    }
    this.fields = list
    return this
  }

  addTrailers(headers: OutgoingHttpHeaders): void { this.trailers = headers }

  // ---- body

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void)): boolean {
    if (this.writableEnded || this.destroyed) return false
    if (!this.headersSent) this.writeHead(this.statusCode)
    const body = toBuffer(chunk, encoding)
    if (this.noBody()) return true
    if (!this.started) return this.socket.write(this.headWith(body, false, -1))
    if (body.length === 0) return true
    if (!this.chunked) return this.socket.write(body)
    const s = this.socket
    s.cork()
    s.write(`${body.length.toString(16)}\r\n`, 'latin1')
    s.write(body)
    const ok = s.write('\r\n', 'latin1')
    s.uncork()
    return ok
  }

  end(chunk?: string | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void)): this {
    if (this.writableEnded) return this
    if (typeof chunk === 'function') chunk = undefined
    this.writableEnded = true
    if (!this.headersSent) this.writeHead(this.statusCode)
    const body = chunk === undefined ? null : toBuffer(chunk, encoding)
    const s = this.socket
    if (this.destroyed || s.destroyed) return this
    let out: Buffer | string
    if (this.noBody()) { out = this.started ? '' : this.head(-1); this.started = true }
    else if (!this.started) out = this.headWith(body, true, body === null ? 0 : body.length)
    else if (!this.chunked) out = body ?? ''
    else {
      if (body !== null && body.length > 0) { s.cork(); s.write(`${body.length.toString(16)}\r\n`, 'latin1'); s.write(body); s.write('\r\n', 'latin1'); s.uncork() }
      out = `0\r\n${this.trailerLines()}\r\n`
    }
    s.write(out, 'latin1', this.sink.onWritten)
    return this
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.socket.destroy(err)
    return this
  }

  // ---- the connection's side

  /** The last write completed: 'finish', then 'close'. */
  finish(): void {
    if (this.closed) return
    this.writableFinished = true
    this.emit('finish')
    this.close()
  }

  /** The connection is gone (or the response is done): 'close', once. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (!this.writableFinished) this.destroyed = true
    this.emit('close')
  }

  private noBody(): boolean {
    const s = this.statusCode
    return this.bodyless || s === 204 || s === 304 || s < 200
  }

  /**
   * The head followed by the first bytes of the body. Ending now with no length given, the length is
   * known (`length`); otherwise the body is chunked unless the headers give its length.
   */
  private headWith(body: Buffer | null, ending: boolean, length: number): Buffer {
    this.started = true
    const head = this.head(ending && this.trailers === null ? length : -1)
    const n = body === null ? 0 : body.length
    const frameHead = this.chunked && n > 0 ? `${n.toString(16)}\r\n` : ''
    const frameTail = this.chunked ? (n > 0 ? '\r\n' : '') + (ending ? `0\r\n${this.trailerLines()}\r\n` : '') : ''
    const headBytes = Buffer.byteLength(head, 'latin1') + frameHead.length
    if (n > SMALL) {
      const s = this.socket
      s.cork()
      s.write(head + frameHead, 'latin1')
      const bytes = Buffer.from(frameTail, 'latin1')
      s.write(body as Buffer)
      s.uncork()
      return bytes
    }
    const out = Buffer.allocUnsafe(headBytes + n + frameTail.length)
    out.write(head + frameHead, 0, 'latin1')
    if (n > 0) (body as Buffer).copy(out, headBytes)
    if (frameTail.length > 0) out.write(frameTail, headBytes + n, 'latin1')
    return out
  }

  /** Status line and fields; `length` ≥ 0: the whole body's length, if no field framed it. */
  private head(length: number): string {
    const status = this.statusCode
    let h = `HTTP/1.1 ${status} ${this.statusMessage ?? STATUS_CODES[status] ?? 'Unknown'}\r\n`
    let framed = false
    let dated = false
    const f = this.fields
    const set = this.set
    if (set !== null) {
      for (const [lower, [name, value]] of set) {
        if (f !== null && listHas(f, lower)) continue            // writeHead's value wins
        if (Array.isArray(value)) for (const v of value) h += `${name}: ${v}\r\n`
        else h += `${name}: ${value}\r\n`
        if (lower === 'content-length' || lower === 'transfer-encoding') framed = true
        else if (lower === 'date') dated = true
        else if (lower === 'connection' && /close/i.test(String(value))) this.shouldKeepAlive = false
      }
    }
    if (f !== null) {
      for (let i = 0; i < f.length; i += 2) {
        const name = f[i]
        const value = f[i + 1]
        h += `${name}: ${value}\r\n`
        if (equalsLower(name, 'content-length')) framed = true
        else if (equalsLower(name, 'transfer-encoding')) { framed = true; this.chunked = /chunked/i.test(value) }
        else if (equalsLower(name, 'date')) dated = true
        else if (equalsLower(name, 'connection') && /close/i.test(value)) this.shouldKeepAlive = false
      }
    }
    if (!dated && this.sendDate) h += `date: ${httpDate()}\r\n`
    if (!framed && !this.noBody()) {
      if (length >= 0) h += `content-length: ${length}\r\n`
      else { h += 'transfer-encoding: chunked\r\n'; this.chunked = true }
    }
    if (!this.shouldKeepAlive) h += 'connection: close\r\n'
    return `${h}\r\n`
  }

  private trailerLines(): string {
    const t = this.trailers
    if (t === null) return ''
    let s = ''
    for (const name in t) {
      const v = t[name]
      if (v === undefined) continue
      checkField(name, v)
      if (Array.isArray(v)) for (const item of v) s += `${name}: ${item}\r\n`
      else s += `${name}: ${v}\r\n`
    }
    return s
  }
}

function listHas(list: string[], lower: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (equalsLower(list[i], lower)) return true
  return false
}

function toBuffer(chunk: string | Uint8Array, encoding?: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8')
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
}

/** As Node refuses them: a field that would split the head is a bug upstream of here, never sent. */
function checkField(name: string, value: OutgoingHttpHeader): void {
  if (!TOKEN.test(name)) throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), { code: 'ERR_INVALID_HTTP_TOKEN' })
  const values = Array.isArray(value) ? value : [value]
  for (const v of values) {
    if (INVALID_VALUE.test(String(v))) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: 'ERR_INVALID_CHAR' })
  }
}

function headersSentError(what: string): Error {
  return Object.assign(new Error(`Cannot ${what} headers after they are sent to the client`), { code: 'ERR_HTTP_HEADERS_SENT' })
}
