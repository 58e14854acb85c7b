// Field path → position inside one parsed YAML document.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import type { FieldPath, Position } from './source.js'

type Locate = (path: FieldPath, which: 'key' | 'value') => Position

function offsetOf(node: unknown): number | null {
  const range = (node as Node | null)?.range
  return range ? range[0] : null
}

/** Builds `locate` for one document whose root node is `root` and that starts at `start`. */
export function makeLocate(root: unknown, start: number, lines: LineCounter, lineOffset: number): Locate {
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset)
    return { line: line + lineOffset, col }
  }
  return (path, which) => {
    let node: unknown = root
    let best = offsetOf(root) ?? start
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]
      const last = i === path.length - 1
      if (isMap(node)) {
        const pair = node.items.find(p => {
          const k: unknown = p.key
          return (isScalar(k) ? String(k.value) : String(k)) === String(seg)
        })
        if (!pair) break
        const keyAt = offsetOf(pair.key)
        const valueAt = offsetOf(pair.value)
        if (last) {
          best = which === 'key' ? keyAt ?? best : valueAt ?? keyAt ?? best
        } else {
          best = keyAt ?? best // a missing child is reported at its parent's key
        }
        node = pair.value
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg]
        best = offsetOf(node) ?? best
      } else {
        break
      }
    }
    return at(best)
  }
}

/**
 * `locate` for a document read without positions: on first use, re-parses the document's own text
 * (which starts at the beginning of its first line, `lineOffset` lines into its file) with yaml.
 */
export function reparseLocate(text: string, lineOffset: number): Locate {
  let locate: Locate | undefined
  return (path, which) => {
    if (!locate) {
      const lines = new LineCounter()
      const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
      locate = makeLocate(doc.contents, doc.contents?.range?.[0] ?? 0, lines, lineOffset)
    }
    return locate(path, which)
  }
}
