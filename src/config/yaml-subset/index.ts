// A fast reader for the plain YAML that configs are made of: block mappings and sequences, one-line
// flow collections, plain and simply quoted scalars, comments, `---` between documents. It gives
// the same values as yaml's parseAllDocuments + toJS, with each document's content start and end
// offsets (Document.contents.range[0] and Document.range[2]), but builds no nodes and keeps no
// positions: for a large config it is several times faster than yaml and allocates little. On
// anything outside the subset, or anything yaml would reject, it answers null and the caller
// parses with yaml; positions inside a document are found later by re-parsing that document alone.
import { BlockReader } from './block.js'
import { bail, HASH, LF, OUTSIDE, SP } from './common.js'

export interface SubsetDocument {
  readonly value: Record<string, unknown>
  /** Offset of the document's content (its first key). */
  readonly start: number
  /** Offset where the document ends: the next `---` line or the end of the text. */
  readonly end: number
}

// tabs, CR, a BOM, other control and line-break-like characters
const OUTSIDE_TEXT = /[\0-\x09\x0b-\x1f\x7f\x85\u2028\u2029\ufeff\ufffe\uffff]/

/** The documents of `text` that have content, or null when yaml itself must parse it. */
export function parseSubset(text: string): SubsetDocument[] | null {
  if (OUTSIDE_TEXT.test(text)) return null
  try {
    return documents(text)
  } catch (err) {
    if (err === OUTSIDE) return null
    throw err
  }
}

function documents(t: string): SubsetDocument[] {
  const out: SubsetDocument[] = []
  let from = 0
  for (;;) {
    const marker = nextMarker(t, from)
    const end = marker < 0 ? t.length : marker
    const r = new BlockReader(t, end)
    r.next(from)
    if (r.ind >= 0) {
      const start = r.p + r.ind
      const value = r.map(r.ind)
      if (r.ind >= 0 || r.lastEmpty) bail()
      out.push({ value, start, end })
    }
    if (marker < 0) return out
    from = markerLineEnd(t, marker) + 1
  }
}

/** Start of the next line that begins with `---`, or -1. */
function nextMarker(t: string, from: number): number {
  if (from === 0 && t.startsWith('---')) return 0
  const i = t.indexOf('\n---', from - 1)
  return i < 0 ? -1 : i + 1
}

/** `---` alone (or with a comment) on its line; content after it is left to yaml. */
function markerLineEnd(t: string, i: number): number {
  i += 3
  const ch = t.charCodeAt(i)
  if (ch === LF || ch !== ch) return i
  if (ch !== SP) bail()
  while (t.charCodeAt(i) === SP) i++
  const at = t.charCodeAt(i)
  if (at === LF || at !== at) return i
  if (at !== HASH) bail()
  const nl = t.indexOf('\n', i)
  return nl < 0 ? t.length : nl
}
