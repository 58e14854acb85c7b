// What the subset's readers share: a cursor, the bail-out, and yaml's way of adding a key.

/** A position in one source text; readers advance `i`. */
export interface Cursor { readonly t: string; i: number }

/** Thrown where the text leaves the subset; parseSubset then answers null (a constant: no stack to build). */
export const OUTSIDE = { outside: true }

export function bail(): never {
  throw OUTSIDE
}

export const LF = 10, SP = 32, DQ = 34, HASH = 35, SQ = 39, COMMA = 44, DASH = 45, COLON = 58
export const LBRACKET = 91, BACKSLASH = 92, RBRACKET = 93, LBRACE = 123, RBRACE = 125

/** `key` → `value` as yaml's toJS adds it (an own property even for `__proto__`); a repeated key is an error there. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.hasOwn(obj, key)) bail()
  if (key in obj) Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
  else obj[key] = value
}

/** Indicators that cannot start a plain scalar or key here (`-` is handled by the callers). */
export function isIndicator(c: number): boolean {
  switch (c) {
    case 33: case DQ: case HASH: case 37: case 38: case SQ: case 42: case COMMA: case COLON: case 62: case 63:
    case 64: case LBRACKET: case RBRACKET: case 96: case LBRACE: case 124: case RBRACE:
      return true // ! " # % & ' * , : > ? @ [ ] ` { | }
    default:
      return false
  }
}

/** Can a plain scalar start at i? `-` only when a safe character follows (`-1`, `--flag`). */
export function plainStarts(t: string, i: number, inFlow: boolean): boolean {
  const c = t.charCodeAt(i)
  if (c !== c || c === LF || c === SP || isIndicator(c)) return false
  if (c !== DASH) return true
  const n = t.charCodeAt(i + 1)
  if (n !== n || n === LF || n === SP) return false
  return !(inFlow && (n === COMMA || n === LBRACKET || n === RBRACKET || n === LBRACE || n === RBRACE))
}
