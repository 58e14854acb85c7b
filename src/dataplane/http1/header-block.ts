// Finds the end of a header block (a request or response head, or a chunked trailer section) in a buffer that may
// arrive in pieces, checking every byte once: lines end in CRLF only (a bare CR or LF is how
// response-splitting and smuggling start), no control bytes, and the block stays under a byte limit.

export interface BlockScan {
  pos: number          // next byte to look at (resumes here when more bytes arrive)
  lineStart: number    // where the current line began
  end: number          // index just past the blank line, or -1 while incomplete
  error: string | null
}

/** Advances `sc` over `b`; sets `sc.end` once the blank line is seen, or `sc.error`. */
export function scanBlock(b: Buffer, sc: BlockScan, maxBytes: number): void {
  const n = b.length
  let i = sc.pos
  let lineStart = sc.lineStart
  while (i < n) {
    const c = b[i]
    if (c === 10) {
      if (i === 0 || b[i - 1] !== 13) { sc.error = 'bare LF in header'; return }
      if (i - lineStart === 1) { sc.end = i + 1; sc.pos = i + 1; sc.lineStart = i + 1; return }
      lineStart = i + 1
    } else if (i > 0 && b[i - 1] === 13) {
      sc.error = 'bare CR in header'
      return
    } else if ((c < 32 && c !== 9 && c !== 13) || c === 127) {
      sc.error = 'control character in header'
      return
    }
    i++
    if (i > maxBytes) { sc.error = 'header block too large'; return }
  }
  if (n > maxBytes) { sc.error = 'header block too large'; return }
  sc.pos = i
  sc.lineStart = lineStart
}
