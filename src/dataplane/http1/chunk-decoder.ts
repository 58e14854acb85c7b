// The chunked transfer coding (RFC 9112 §7.1), decoded incrementally and strictly for both sides of
// the proxy: hex sizes of at most 13 digits (below 2^53), extensions of the exact grammar
// `;name[=token|"quoted"]` (no whitespace around them, as Node's parser requires) and bounded in
// length, CRLF after every size line and every chunk. The trailer section that follows the last
// chunk is a header block; the caller scans it (header-block.ts) once `state` is `Trailers`.

export const enum ChunkState { Size, ExtName, ExtNameMore, ExtValue, ExtToken, ExtQuoted, ExtEscape, ExtQuoteEnd, SizeLf, Data, DataCr, DataLf, Trailers }

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
        if (c === 59) { this.state = ChunkState.ExtName; this.digits = 0; return null }   // ';' chunk-ext
        return 'invalid chunk size'
      }
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
        return this.extension(c)
    }
  }

  /** One byte of a chunk extension: `;name`, then `=token` or `="quoted"`, then `;` again or CR. */
  private extension(c: number): string | null {
    if (c !== 13 && ++this.digits > MAX_CHUNK_EXT) return 'invalid chunk extension (too long)'
    switch (this.state) {
      case ChunkState.ExtName:
        if (!isTokenChar(c)) return 'invalid chunk extension'
        this.state = ChunkState.ExtNameMore
        return null
      case ChunkState.ExtNameMore:
      case ChunkState.ExtToken:
        if (isTokenChar(c)) return null
        if (c === 59) { this.state = ChunkState.ExtName; return null }
        if (c === 13) { this.state = ChunkState.SizeLf; return null }
        if (c === 61 && this.state === ChunkState.ExtNameMore) { this.state = ChunkState.ExtValue; return null }
        return 'invalid chunk extension'
      case ChunkState.ExtValue:
        if (c === 34) { this.state = ChunkState.ExtQuoted; return null }
        if (!isTokenChar(c)) return 'invalid chunk extension'
        this.state = ChunkState.ExtToken
        return null
      case ChunkState.ExtQuoted:
        if (c === 34) { this.state = ChunkState.ExtQuoteEnd; return null }
        if (c === 92) { this.state = ChunkState.ExtEscape; return null }
        return isQuotedText(c) ? null : 'invalid chunk extension'
      case ChunkState.ExtEscape:
        if (!isQuotedText(c) && c !== 34 && c !== 92) return 'invalid chunk extension'
        this.state = ChunkState.ExtQuoted
        return null
      case ChunkState.ExtQuoteEnd:
        if (c === 59) { this.state = ChunkState.ExtName; return null }
        if (c === 13) { this.state = ChunkState.SizeLf; return null }
        return 'invalid chunk extension'
      default:
        return 'chunk decoder state'
    }
  }
}

/** tchar of RFC 9110 §5.6.2. */
function isTokenChar(c: number): boolean {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true
  return c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 45 || c === 46 || c === 94 || c === 95 || c === 96 || c === 124 || c === 126
}

/** Inside a quoted extension value: SP, HTAB and visible ASCII but `"` and `\`. */
function isQuotedText(c: number): boolean {
  return c === 9 || c === 32 || c === 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126)
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}
