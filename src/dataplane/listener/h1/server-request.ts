// A request read by the listener's HTTP/1.1 fast path. It offers the part of Node's IncomingMessage
// the data plane uses (method, url, headers, rawHeaders, socket, and the body as 'data'/'end'
// events with pause/resume) without a Readable stream per request: a bodyless request, the common
// case, costs one small object. Body bytes are pushed in by the connection; while nobody reads
// them they are held, and past HIGH_WATER the connection stops reading the socket.
import { LiteEmitter } from '../../../lib/lite-emitter.js'
import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'

/** What the request asks of its connection: flow control, and the limit on body bytes. */
export interface BodySource {
  pauseReading(): void
  resumeReading(): void
  /** The body went past maxRequestBodyBytes. */
  bodyTooLarge(): void
}

const HIGH_WATER = 16 * 1024

export class H1Request extends LiteEmitter {
  readonly httpVersion = '1.1'
  readonly httpVersionMajor = 1
  readonly httpVersionMinor = 1
  /** The whole body arrived. */
  complete = false
  /** The client went away before the body was complete. */
  aborted = false
  /** Body bytes allowed (ClientTrafficPolicy maxRequestBodyBytes); 0 = no limit. */
  maxBodyBytes = 0
  private flowing: boolean | null = null      // as Readable: null until read or paused
  private held: Buffer[] | null = null
  private heldBytes = 0
  private bodyBytes = 0
  private ended = false
  private endEmitted = false
  private flushQueued = false
  private dumping = false
  private overLimit = false                   // cut at maxBodyBytes: never complete

  constructor(
    readonly socket: Socket,
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    readonly rawHeaders: string[],
    private readonly source: BodySource,
  ) {
    super()
  }

  // ---- the reader's side (Readable's flowing mode, as far as the data plane uses it)

  override on(event: string | symbol, fn: (...args: any[]) => void): this {
    super.on(event, fn)
    if (event === 'data' && this.flowing !== false) this.resume()
    else if (event === 'end' && this.flowing === true) this.queueFlush()
    return this
  }
  override addListener(event: string | symbol, fn: (...args: any[]) => void): this { return this.on(event, fn) }

  resume(): this {
    this.flowing = true
    this.queueFlush()
    return this
  }

  pause(): this { this.flowing = false; return this }
  isPaused(): boolean { return this.flowing === false }

  destroy(err?: Error): this {
    if (!this.socket.destroyed) this.socket.destroy(err)
    return this
  }

  // ---- the connection's side

  /** A piece of the body as it arrives. */
  push(chunk: Buffer): void {
    if (this.dumping) return
    if (this.maxBodyBytes > 0 && (this.bodyBytes += chunk.length) > this.maxBodyBytes) {
      this.dumping = true
      this.overLimit = true
      this.source.bodyTooLarge()
      return
    }
    if (this.flowing === true && this.held === null) { this.emit('data', chunk); return }
    if (this.held === null) this.held = [chunk]
    else this.held.push(chunk)
    if ((this.heldBytes += chunk.length) >= HIGH_WATER) this.source.pauseReading()
  }

  /** The body is complete. A body cut at the limit never is, even if its last chunk came in the
   *  same read: the route must not forward what it got as the whole body. */
  end(): void {
    if (this.overLimit) return
    this.complete = true
    this.ended = true
    if (this.flowing === true && this.held === null) this.emitEnd()
  }

  /** The response is done and nobody read the body: drop the rest, so the connection can go on. */
  dump(): void {
    this.dumping = true
    this.held = null
    this.heldBytes = 0
    this.source.resumeReading()
  }

  /** The connection closed: an unfinished body is aborted. */
  closed(): void {
    if (this.aborted) return                  // the client's end, then the socket's close
    if (!this.complete) {
      this.aborted = true
      this.emit('aborted')
      if (this.listenerCount('error') > 0) this.emit('error', Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
    }
    this.emit('close')
  }

  /** Emits what was held while nobody read (on the tick after resume, as Readable does). */
  flushHeld(): void {
    this.flushQueued = false
    let held = this.held
    while (held !== null && this.flowing === true) {
      const chunk = held.shift() as Buffer
      this.heldBytes -= chunk.length
      if (held.length === 0) { this.held = held = null; this.heldBytes = 0; this.source.resumeReading() }
      this.emit('data', chunk)
      held = this.held
    }
    if (this.held === null && this.ended && this.flowing === true) this.emitEnd()
  }

  /** Held chunks, or an 'end' someone listens for, go out on the next tick (an unread bodyless
   *  request, the common case, schedules nothing: a later 'end' listener queues it then). */
  private queueFlush(): void {
    if (this.flushQueued) return
    if (this.held === null && !(this.ended && !this.endEmitted && (this.listenerCount('end') > 0 || this.listenerCount('data') > 0))) return
    this.flushQueued = true
    process.nextTick(flush, this)
  }

  private emitEnd(): void {
    if (this.endEmitted) return
    this.endEmitted = true
    this.emit('end')
  }
}

function flush(req: H1Request): void { req.flushHeld() }
