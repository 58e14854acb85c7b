// Field path → position inside one parsed YAML document.
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml'
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
