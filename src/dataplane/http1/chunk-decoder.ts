// The chunked transfer coding (RFC 9112 §7.1), decoded incrementally and strictly for both sides of
// the proxy: hex sizes of at most 13 digits (below 2^53), extensions bounded and free of control
// bytes, CRLF after every size line and every chunk. The trailer section that follows the last
// chunk is a header block; the caller scans it (header-block.ts) once `state` is `Trailers`.

export const enum ChunkState { Size, Ext, SizeLf, Data, DataCr, DataLf, Trailers }

export interface ChunkSink { chunkData(buf: Buffer, from: number, to: number): void }

const MAX_CHUNK_EXT = 1024
const MAX_HEX_DIGITS = 13                       // 2^52: below Number.MAX_SAFE_INTEGER

export class ChunkDecoder {
  state = ChunkState.Size
  /** Why the last execute() failed, or null. */
  error: string | null = null
  private remaining = 0                         // Data: bytes left; Size: the size so far
  private digits = 0

  reset(): void { this.state = ChunkState.Size; this.remaining = 0; this.digits = 0; this.error = null }

  /**
   * Decodes `buf[i..n)`. Returns after handing one slice of chunk data to `sink` (so the caller can
   * stop if the sink gave up), at the start of the trailer section, or at `n`: the index reached, or
   * -1 on malformed framing (`error` says why).
   */
  execute(buf: Buffer, i: number, n: number, sink: ChunkSink): number {
    while (i < n) {
      const state = this.state
      if (state === ChunkState.Trailers) return i
      if (state === ChunkState.Data) {
        const take = Math.min(this.remaining, n - i)
        this.remaining -= take
        if (this.remaining === 0) this.state = ChunkState.DataCr
        sink.chunkData(buf, i, i + take)
        return i + take
      }
      const err = this.byte(buf[i])
      if (err !== null) { this.error = err; return -1 }
      i++
    }
    return i
  }

  /** One byte of framing: a size line, an extension, or the CRLF after a chunk's data. */
  private byte(c: number): string | null {
    switch (this.state) {
      case ChunkState.Size: {
        const h = hexValue(c)
        if (h >= 0) {
          if (++this.digits > MAX_HEX_DIGITS) return 'chunk size too large'
          this.remaining = this.remaining * 16 + h
          return null
        }
        if (this.digits === 0) return 'invalid chunk size'
        if (c === 13) { this.state = ChunkState.SizeLf; return null }
        if (c === 59) { this.state = ChunkState.Ext; this.digits = 0; return null }   // ';' chunk-ext
        return 'invalid chunk size'
      }
      case ChunkState.Ext:
        if (c === 13) { this.state = ChunkState.SizeLf; return null }
        if ((c < 32 && c !== 9) || c === 127 || ++this.digits > MAX_CHUNK_EXT) return 'invalid chunk extension'
        return null
      case ChunkState.SizeLf:
        if (c !== 10) return 'bare CR in chunk size'
        this.digits = 0
        this.state = this.remaining === 0 ? ChunkState.Trailers : ChunkState.Data
        return null
      case ChunkState.DataCr:
        if (c !== 13) return 'missing CRLF after chunk'
        this.state = ChunkState.DataLf
        return null
      case ChunkState.DataLf:
        if (c !== 10) return 'missing CRLF after chunk'
        this.state = ChunkState.Size
        this.remaining = 0
        return null
      default:
        return 'chunk decoder state'
    }
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}
