// Flow collections (`[a, b]`, `{ k: v }`) that open and close on one line.
import {
  bail, COLON, COMMA, DASH, DQ, HASH, isIndicator, LBRACE, LBRACKET, LF, plainStarts, RBRACE, RBRACKET, setKey, SP, SQ,
  type Cursor,
} from './common.js'
import { plainKey, plainScalar, quoted } from './scalars.js'

function spaces(c: Cursor): void {
  while (c.t.charCodeAt(c.i) === SP) c.i++
}

/** Ends a plain scalar inside a flow collection. */
function isFlowEnd(ch: number): boolean {
  return ch === COMMA || ch === RBRACKET || ch === RBRACE
}

/** A flow collection, cursor at `[` or `{`; leaves the cursor after its closing bracket. */
export function flow(c: Cursor): unknown {
  const t = c.t
  const seq = t.charCodeAt(c.i++) === LBRACKET
  const close = seq ? RBRACKET : RBRACE
  const out: unknown[] | Record<string, unknown> = seq ? [] : {}
  spaces(c)
  if (t.charCodeAt(c.i) === close) {
    c.i++
    return out
  }
  for (;;) {
    if (seq) (out as unknown[]).push(flowNode(c))
    else {
      const key = flowKey(c)
      spaces(c)
      setKey(out as Record<string, unknown>, key, flowNode(c))
    }
    spaces(c)
    const ch = t.charCodeAt(c.i++)
    if (ch === close) return out
    if (ch !== COMMA) bail()
    spaces(c) // a trailing comma (`[a,]`) then fails in flowNode: not in the subset
  }
}

/** A key and its `: `; an empty value after it is not in the subset. */
function flowKey(c: Cursor): string {
  const t = c.t
  const ch = t.charCodeAt(c.i)
  const from = c.i
  let key: string
  if (ch === DQ || ch === SQ) {
    key = quoted(c)
  } else {
    if (ch === DASH || !plainStarts(t, from, true)) bail()
    let j = from
    for (;;) {
      const cj = t.charCodeAt(j)
      if (cj === COLON || cj === SP || cj === LF || cj !== cj || isIndicator(cj)) break
      j++
    }
    key = plainKey(t.slice(from, j))
    c.i = j
  }
  if (t.charCodeAt(c.i) !== COLON || t.charCodeAt(c.i + 1) !== SP || c.i - from > 1000) bail()
  c.i += 2
  return key
}

/** A value inside a flow collection. */
function flowNode(c: Cursor): unknown {
  const t = c.t
  const ch = t.charCodeAt(c.i)
  if (ch === LBRACKET || ch === LBRACE) return flow(c)
  if (ch === DQ || ch === SQ) return quoted(c)
  if (!plainStarts(t, c.i, true)) bail()
  const from = c.i
  let j = from, last = from
  for (;;) {
    const cj = t.charCodeAt(j)
    if (isFlowEnd(cj)) break
    if (cj !== cj || cj === LF || cj === LBRACKET || cj === LBRACE) bail()
    if (cj === SP) {
      if (t.charCodeAt(j + 1) === HASH) bail()
      j++
      continue
    }
    if (cj === COLON) {
      const n = t.charCodeAt(j + 1)
      if (n === SP || n !== n || n === LF || isFlowEnd(n) || n === LBRACKET || n === LBRACE) bail() // a pair, not a scalar
    }
    last = ++j
  }
  c.i = last
  return plainScalar(t.slice(from, last))
}
