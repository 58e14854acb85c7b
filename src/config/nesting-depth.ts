// A bound on how deeply a text's lists and mappings nest. Both YAML readers recurse once per level,
// so a text nested some thousands of levels deep (`[[[[…`, `- - - …`, a few hundred kilobytes) would
// exhaust the stack: a RangeError in the reader, or, when the overflow lands in a regular expression
// being compiled, a fatal abort of the whole process. No config nests anywhere near this deep.
import { Parser, type CST } from 'yaml'

export const MAX_NESTING_DEPTH = 128

/** Offset of the first collection nested deeper than MAX_NESTING_DEPTH, or null. */
export function tooDeepAt(text: string): number | null {
  return mayNestTooDeep(text) ? deepestOffset(text) : null
}

/** A cheap upper bound, one pass over the characters. The block collections around a line sit at
 *  most two per indentation column (a mapping and a sequence that is its value), the line itself
 *  opens at most one level per `-` `?` `:` `[` `{` on it, and flow collections cannot run past a
 *  `---`, so a document has at most as many of them open as it has `[` and `{`. */
function mayNestTooDeep(text: string): boolean {
  let flowOpeners = 0
  for (let i = 0; i < text.length;) {
    let indent = 0
    while (text.charCodeAt(i + indent) === SPACE) indent++
    if (text.startsWith('---', i)) flowOpeners = 0
    let onLine = 0
    let end = text.indexOf('\n', i)
    if (end < 0) end = text.length
    for (let j = i + indent; j < end; j++) {
      const c = text.charCodeAt(j)
      if (c === OPEN_BRACKET || c === OPEN_BRACE) { flowOpeners++; onLine++ } else if (c === DASH || c === COLON || c === QUESTION) onLine++
    }
    if (2 * (indent + 1) + onLine + flowOpeners > MAX_NESTING_DEPTH) return true
    i = end + 1
  }
  return false
}

const SPACE = 0x20, OPEN_BRACKET = 0x5b, OPEN_BRACE = 0x7b, DASH = 0x2d, COLON = 0x3a, QUESTION = 0x3f

/** The exact check, on yaml's syntax tree: its parser keeps its own stack, so it never overflows,
 *  and this walk keeps an explicit one too. */
function deepestOffset(text: string): number | null {
  const stack: { token: CST.Token; depth: number }[] = []
  for (const token of new Parser().parse(text)) stack.push({ token, depth: 0 })
  while (stack.length) {
    const { token, depth } = stack.pop()!
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, depth })
      continue
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue
    if (depth + 1 > MAX_NESTING_DEPTH) return token.offset
    for (const item of token.items) {
      if (item.key) stack.push({ token: item.key, depth: depth + 1 })
      if (item.value) stack.push({ token: item.value, depth: depth + 1 })
    }
  }
  return null
}
