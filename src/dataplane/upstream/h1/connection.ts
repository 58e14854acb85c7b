// One pooled keep-alive socket to an upstream and the response parser that reads it. It carries one
// exchange at a time and decides, when that exchange ends, whether the socket may be reused: only a
// complete response, a fully sent request, keep-alive on both sides and no stray bytes. Anything
// doubtful destroys it.
import type { Socket } from 'node:net'
import { dial, NO_CERTIFICATE, type MeshPeer } from '../../mtls/dial.js'
import type { AttemptFailure } from '../../resilience/retry-policy.js'
import { ResponseParser, type ResponseHandler } from './response-parser.js'

/** What a connection reports to the exchange it carries. */
export interface H1Exchange {
  onHead(status: number, raw: string[]): void
  onBody(chunk: Buffer, last: boolean): void
  onComplete(trailers: string[] | null): void
  /** The exchange is over and the socket is gone (after detach). */
  onFailure(kind: AttemptFailure, err: Error): void
  onTimeout(): void
  onDrain(): void
  /** The request has been written in full. */
  readonly requestDone: boolean
  detach(): void
}

export interface ConnectionOwner { release(c: H1Connection): void; forget(c: H1Connection): void }

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', NO_CERTIFICATE])

export class H1Connection implements ResponseHandler {
  readonly socket: Socket
  readonly parser = new ResponseParser()
  exchange: H1Exchange | null = null
  /** Carried an earlier exchange: a failure before the first response byte reached no app. */
  reused = false
  idle = false
  dead = false
  private keepAlive = false
  /** mTLS: until the handshake completes, any failure means the request reached no app. */
  private handshaking: boolean

  constructor(private readonly owner: ConnectionOwner, host: string, port: number, peer: MeshPeer | null = null) {
    // Plain sockets are read into one shared buffer (the parser copies what must outlive a read);
    // TLS sockets keep `data` events.
    const s = dial(host, port, peer, 'http/1.1', false, peer === null ? (n, buf) => { this.onData(buf.subarray(0, n), true); return true } : null)
    s.setKeepAlive(true, 1000)
    this.socket = s
    this.handshaking = peer !== null
    if (peer !== null) {
      s.once('secureConnect', () => { this.handshaking = false })
      s.on('data', (buf: Buffer) => this.onData(buf, false))
    }
    this.parser.handler = this
    // `dead` changes once, at the end of a connection's life. Changed here first, V8 treats the field
    // as mutable from the start, instead of discarding the optimized request path that relied on it
    // when the first pooled connections close (the end of a burst).
    this.dead = true
    this.dead = false
    s.on('end', () => this.onEnd())
    s.on('error', (err: NodeJS.ErrnoException) => this.onError(err))
    s.on('close', () => this.onClose())
    s.on('timeout', () => this.onTimeout())
    s.on('drain', () => this.exchange?.onDrain())
  }

  /** Starts an exchange; `timeoutMs` bounds socket inactivity while it runs (0 = none). */
  begin(ex: H1Exchange, headRequest: boolean, timeoutMs: number): void {
    this.exchange = ex
    this.idle = false
    this.keepAlive = false
    this.parser.reset(headRequest)
    this.socket.setTimeout(timeoutMs)
    if (this.reused) {
      this.socket.ref()
      if (this.socket.isPaused()) this.socket.resume()   // the last response may have ended while its client was slow
    }
  }

  /** Abandons the exchange and the socket (the client went away, or the attempt was given up). */
  destroy(): void {
    const ex = this.exchange
    this.exchange = null
    this.parser.abort()
    if (ex) ex.detach()
    this.kill()
  }

  onHead(status: number, raw: string[]): void { this.exchange?.onHead(status, raw) }
  onBody(chunk: Buffer, last: boolean): void { this.exchange?.onBody(chunk, last) }
  onComplete(trailers: string[] | null, keepAlive: boolean): void {
    this.keepAlive = keepAlive
    this.exchange?.onComplete(trailers)
  }

  /** `transient`: `buf` is the shared read buffer, overwritten by the next read. */
  private onData(buf: Buffer, transient: boolean): void {
    if (this.exchange === null) { this.kill(); return }           // nothing was asked: unsolicited bytes
    const used = this.parser.execute(buf, transient)
    if (used < 0) {
      if (this.parser.error !== null) this.failed('reset', Object.assign(new Error(`invalid upstream response: ${this.parser.error}`), { code: 'HPE_INVALID_RESPONSE' }))
      else this.destroy()
      return
    }
    if (this.parser.done) this.settle(used === buf.length)
  }

  /** The response is complete: back to the pool if everything is clean, else closed. */
  private settle(clean: boolean): void {
    const ex = this.exchange
    if (ex === null) return
    this.exchange = null
    const reusable = clean && this.keepAlive && ex.requestDone && !this.dead
    ex.detach()
    if (!reusable) { this.kill(); return }
    this.reused = true
    this.owner.release(this)
  }

  private onEnd(): void {
    if (this.exchange !== null && this.parser.finish()) { this.settle(false); return }
    this.hangUp()
  }

  private onClose(): void {
    this.dead = true
    this.owner.forget(this)
    this.hangUp()
  }

  private hangUp(): void {
    if (this.exchange === null) { this.kill(); return }
    this.failed(this.classify('ECONNRESET'), Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.exchange === null) { this.kill(); return }
    this.failed(this.handshaking || CONNECT_ERRORS.has(err.code ?? '') ? 'connect-failure' : this.classify(err.code), err)
  }

  private onTimeout(): void {
    if (this.exchange === null) { this.kill(); return }            // idle too long
    this.exchange.onTimeout()
  }

  /** A reset on a reused idle socket before any response byte: the request never reached the app. */
  private classify(code: string | undefined): AttemptFailure {
    if (this.handshaking) return 'connect-failure'
    return this.reused && !this.parser.started && (code === 'ECONNRESET' || code === 'EPIPE') ? 'connect-failure' : 'reset'
  }

  private failed(kind: AttemptFailure, err: Error): void {
    const ex = this.exchange
    this.exchange = null
    this.parser.abort()
    this.kill()
    if (ex) { ex.detach(); ex.onFailure(kind, err) }
  }

  private kill(): void {
    if (!this.dead) { this.dead = true; this.owner.forget(this) }
    this.socket.destroy()
  }
}
