// Scalars as yaml (YAML 1.2 core schema, its defaults) resolves them: plain by the schema's tests in
// its order, quoted always strings. The patterns and conversions are copied from yaml/dist/schema.
import { bail, BACKSLASH, DQ, LF, SQ, type Cursor } from './common.js'

const NULL = /^(?:~|[Nn]ull|NULL)?$/
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const INT_OCT = /^0o[0-7]+$/
const INT = /^[-+]?[0-9]+$/
const INT_HEX = /^0x[0-9a-fA-F]+$/
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/

/** A plain scalar's value. */
export function plainScalar(s: string): unknown {
  const c = s.charCodeAt(0) | 0x20
  // most config scalars start with a letter none of the schema's patterns can match
  if (c >= 97 && c <= 122 && c !== 110 && c !== 116 && c !== 102) return s
  if (NULL.test(s)) return null
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T'
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8)
  if (INT.test(s)) return parseInt(s, 10)
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16)
  if (FLOAT_NAN.test(s)) {
    return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s)
  return s
}

/** A plain key: only one that resolves to a string (others would be stringified) and is not a merge key. */
export function plainKey(s: string): string {
  if (s === '<<' || typeof plainScalar(s) !== 'string') bail()
  return s
}

/** A quoted scalar on one line, cursor at its opening quote. */
export function quoted(c: Cursor): string {
  const t = c.t, from = c.i + 1
  let j = from, s = '', part = from
  if (t.charCodeAt(c.i) === DQ) {
    for (;; j++) {
      const ch = t.charCodeAt(j)
      if (ch === DQ) break
      if (ch === LF || ch !== ch) bail()
      if (ch === BACKSLASH) {
        s += t.slice(part, j) + escape(t, j + 1, c)
        j = c.i
        part = j + 1
      }
    }
  } else {
    for (;; j++) {
      const ch = t.charCodeAt(j)
      if (ch === SQ) {
        if (t.charCodeAt(j + 1) !== SQ) break
        s += t.slice(part, j + 1) // '' is one quote
        part = ++j + 1
      } else if (ch === LF || ch !== ch) bail()
    }
  }
  c.i = j + 1
  return s + t.slice(part, j)
}

// yaml's double-quoted escapes (resolve-flow-scalar.js); an escaped line break is not in the subset
const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', N: '\u0085',
  _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
}
const HEX = /^[0-9a-fA-F]+$/

/** The character escaped by the letter at i; leaves c.i at the escape's last character. */
function escape(t: string, i: number, c: Cursor): string {
  const ch = t[i]
  c.i = i
  if (Object.hasOwn(ESCAPES, ch)) return ESCAPES[ch]
  const length = ch === 'x' ? 2 : ch === 'u' ? 4 : ch === 'U' ? 8 : bail()
  const hex = t.slice(i + 1, i + 1 + length)
  if (hex.length !== length || !HEX.test(hex)) bail()
  const code = parseInt(hex, 16)
  if (code > 0x10ffff) bail()
  c.i = i + length
  return String.fromCodePoint(code)
}
