// Collects the first bytes of a TLS connection until its ClientHello is whole, then reads the SNI
// name from it once (sni.ts). Each read costs work in proportion to its own bytes: record headers
// and the 4-byte handshake header are followed as they arrive, so the reader knows how many bytes
// the hello needs and parses only when they are all there (or when a header is already wrong, to
// say why). A client sending its hello one byte per read thus costs linear time, where parsing all
// that was received on every read cost quadratic time. The bytes are kept, each copied at most
// once more as the buffer doubles, to be passed on to the upstream; MAX_SNIFF_BYTES bounds them.
import { MAX_HELLO_BYTES, MAX_SNIFF_BYTES, parseClientHelloSni, type SniResult } from './sni.js'

const MORE: SniResult = Object.freeze({ kind: 'more' })
const TOO_LARGE: SniResult = Object.freeze({ kind: 'invalid', why: 'ClientHello too large' })
const MAX_RECORD = 16_384 + 2048
const NO_RECORD = -1

export class ClientHelloReader {
  /** Times the whole hello was parsed: once per connection, however it was split. */
  parses = 0
  private buf: Buffer | null = null
  private owned = false                 // `buf` is this reader's own copy, not a read's buffer
  private have = 0
  /** Where the next record header starts, and the end of the record being read (NO_RECORD: none). */
  private nextRecord = 0
  private recordEnd = NO_RECORD
  /** How far the record being read has been taken into account. */
  private scanned = 0
  /** Handshake bytes received so far, across records. */
  private payload = 0
  /** The handshake header (type, 3-byte length), from the first payload bytes. */
  private readonly head = new Uint8Array(4)
  /** The handshake message's whole length, header included, once the header is in; -1 before. */
  private need = -1

  /** All bytes received, to be sent on to the upstream once the connection is routed. */
  get bytes(): Buffer { return this.buf === null ? Buffer.alloc(0) : this.buf.subarray(0, this.have) }

  /** Adds one read's bytes: 'more' until the ClientHello is whole, then its name, or why it is
   *  invalid. Once it has answered, it is not to be called again. */
  push(chunk: Buffer): SniResult {
    this.append(chunk)
    const buf = this.buf as Buffer
    for (;;) {
      if (this.recordEnd === NO_RECORD) {
        const h = this.nextRecord
        if (this.have < h + 5) break
        const len = (buf[h + 3] << 8) | buf[h + 4]
        if (buf[h] !== 22 || buf[h + 1] !== 3 || len === 0 || len > MAX_RECORD) return this.parse()
        this.recordEnd = h + 5 + len
        this.scanned = h + 5
      }
      const upto = Math.min(this.have, this.recordEnd)
      while (this.payload < 4 && this.scanned < upto) this.head[this.payload++] = buf[this.scanned++]
      this.payload += upto - this.scanned
      this.scanned = upto
      if (this.need < 0 && this.payload >= 4) {
        const h = this.head
        this.need = 4 + ((h[1] << 16) | (h[2] << 8) | h[3])
        if (h[0] !== 1 || this.need > MAX_HELLO_BYTES) return this.parse()
      }
      if (this.need >= 0 && this.payload >= this.need) return this.parse()
      if (upto < this.recordEnd) break                  // the rest of this record is still to come
      this.nextRecord = this.recordEnd
      this.recordEnd = NO_RECORD
    }
    return this.have > MAX_SNIFF_BYTES ? TOO_LARGE : MORE
  }

  /** The one full parse, over everything received (it says why, when a header is wrong). */
  private parse(): SniResult {
    this.parses++
    return parseClientHelloSni(this.bytes)
  }

  /** Keeps `chunk`: the first read as it is, later ones copied into a buffer that doubles. */
  private append(chunk: Buffer): void {
    if (this.buf === null) { this.buf = chunk; this.have = chunk.length; return }
    const want = this.have + chunk.length
    if (!this.owned || want > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(want, 2 * this.have))
      this.buf.copy(grown, 0, 0, this.have)
      this.buf = grown
      this.owned = true
    }
    chunk.copy(this.buf, this.have)
    this.have = want
  }
}
