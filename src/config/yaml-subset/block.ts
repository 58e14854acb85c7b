// Block mappings and sequences, by indentation, one node start per line. Anything else (block
// scalars, multi-line scalars or flows, anchors, tags, complex keys, tabs) leaves the subset.
import { bail, COLON, DASH, DQ, HASH, isIndicator, LBRACE, LBRACKET, LF, plainStarts, setKey, SP, SQ, type Cursor } from './common.js'
import { flow } from './flow.js'
import { plainKey, plainScalar, quoted } from './scalars.js'

export class BlockReader {
  /** Start of the current content line (not blank, not only a comment). */
  p = 0
  /** Its indentation; -1 once the document has no more content. */
  ind = -1
  /** The last value read was empty: yaml then ends the document's range right after it, not at the next `---`. */
  lastEmpty = false
  private readonly c: Cursor

  constructor(private readonly t: string, private readonly end: number) {
    this.c = { t, i: 0 }
  }

  /** Moves to the first content line at or after the line starting at `from`. */
  next(from: number): void {
    const t = this.t
    while (from < this.end) {
      let i = from
      while (t.charCodeAt(i) === SP) i++
      const ch = t.charCodeAt(i)
      if (ch === LF) {
        from = i + 1
      } else if (ch === HASH) {
        const nl = t.indexOf('\n', i)
        if (nl < 0) break
        from = nl + 1
      } else if (i >= this.end) {
        break
      } else {
        this.p = from
        this.ind = i - from
        return
      }
    }
    this.p = this.end
    this.ind = -1
  }

  /** The block mapping or sequence whose first line is the current one, at indentation n. */
  node(n: number): unknown {
    return this.isItem(this.p + n) ? this.seq(n) : this.map(n)
  }

  map(n: number): Record<string, unknown> {
    const t = this.t
    const obj: Record<string, unknown> = {}
    while (this.ind === n) {
      const k = this.p + n
      if (this.isItem(k)) bail()
      const key = this.key(k)
      let i = this.c.i
      while (t.charCodeAt(i) === SP) i++
      let value: unknown
      if (this.endsLine(i)) {
        this.next(this.lineEnd(i) + 1)
        if (this.ind > n) value = this.node(this.ind)
        else if (this.ind === n && this.isItem(this.p + n)) value = this.seq(n) // a list at its key's indentation
        else value = this.empty()
      } else {
        value = this.inline(i)
        if (this.ind > n) bail() // a scalar continued on the next line, or a stray block
      }
      setKey(obj, key, value)
    }
    if (this.ind > n) bail()
    return obj
  }

  seq(n: number): unknown[] {
    const t = this.t
    const arr: unknown[] = []
    while (this.ind === n && this.isItem(this.p + n)) {
      let i = this.p + n + 1
      while (t.charCodeAt(i) === SP) i++
      if (this.endsLine(i)) {
        this.next(this.lineEnd(i) + 1)
        arr.push(this.ind > n ? this.node(this.ind) : this.empty())
      } else if (this.isItem(i)) {
        bail() // `- - a`
      } else if (this.startsKey(i)) {
        this.ind = i - this.p // `- k: v`: a mapping at the key's column
        arr.push(this.map(this.ind))
      } else {
        arr.push(this.inline(i))
        if (this.ind > n) bail()
      }
    }
    if (this.ind > n) bail()
    return arr
  }

  private empty(): null {
    this.lastEmpty = true
    return null
  }

  /** `-` then a space or the line's end. */
  private isItem(i: number): boolean {
    if (this.t.charCodeAt(i) !== DASH) return false
    const n = this.t.charCodeAt(i + 1)
    return n === SP || n === LF || n !== n
  }

  /** Nothing but a comment (after a space) to the line's end at i (spaces already skipped)? */
  private endsLine(i: number): boolean {
    const ch = this.t.charCodeAt(i)
    return ch === LF || ch !== ch || (ch === HASH && this.t.charCodeAt(i - 1) === SP)
  }

  /** Where the line holding i ends, if only spaces and a comment follow i. */
  private lineEnd(i: number): number {
    const t = this.t
    while (t.charCodeAt(i) === SP) i++
    if (!this.endsLine(i)) bail()
    if (t.charCodeAt(i) !== HASH) return i
    const nl = t.indexOf('\n', i)
    return nl < 0 ? t.length : nl
  }

  /** A key and its `:` (followed by a space or the line's end); leaves the cursor after the `:`. */
  private key(i: number): string {
    const t = this.t
    const ch = t.charCodeAt(i)
    const from = i
    let key: string
    if (ch === DQ || ch === SQ) {
      this.c.i = i
      key = quoted(this.c)
      i = this.c.i
    } else {
      if (ch === DASH || !plainStarts(t, i, false)) bail()
      for (;;) {
        const cj = t.charCodeAt(i)
        if (cj === COLON || cj === SP || cj === LF || cj !== cj || isIndicator(cj)) break
        i++
      }
      key = plainKey(t.slice(from, i))
    }
    if (t.charCodeAt(i) !== COLON || i - from > 1000) bail() // yaml: `:` at most 1024 chars after the key's start
    const n = t.charCodeAt(i + 1)
    if (n !== SP && n !== LF && n === n) bail()
    this.c.i = i + 1
    return key
  }

  /** Does the line from i (inside a `- ` item) hold a `key:` rather than a scalar? */
  private startsKey(i: number): boolean {
    const t = this.t
    const ch = t.charCodeAt(i)
    if (ch === LBRACKET || ch === LBRACE) return false
    if (ch === DQ || ch === SQ) {
      this.c.i = i
      quoted(this.c)
      return t.charCodeAt(this.c.i) === COLON
    }
    for (;; i++) {
      const cj = t.charCodeAt(i)
      if (cj === LF || cj !== cj) return false
      if (cj === SP && t.charCodeAt(i + 1) === HASH) return false
      if (cj === COLON) {
        const n = t.charCodeAt(i + 1)
        if (n === SP || n === LF || n !== n) return true
      }
    }
  }

  /** A value that starts on its key's (or item's) line at i; then moves to the next content line. */
  private inline(i: number): unknown {
    const t = this.t
    const ch = t.charCodeAt(i)
    let value: unknown
    this.lastEmpty = false
    this.c.i = i
    if (ch === LBRACKET || ch === LBRACE) value = flow(this.c)
    else if (ch === DQ || ch === SQ) value = quoted(this.c)
    else {
      if (!plainStarts(t, i, false)) bail()
      let j = i, last = i
      for (;;) {
        const cj = t.charCodeAt(j)
        if (cj === LF || cj !== cj) break
        if (cj === SP) {
          if (t.charCodeAt(j + 1) === HASH) break
          j++
          continue
        }
        if (cj === COLON) {
          const n = t.charCodeAt(j + 1)
          if (n === SP || n === LF || n !== n) bail() // `a: b: c`
        }
        last = ++j
      }
      this.c.i = last
      value = plainScalar(t.slice(i, last))
    }
    this.next(this.lineEnd(this.c.i) + 1)
    return value
  }
}
