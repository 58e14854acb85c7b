// Field lines of a header block already checked by scanBlock (CRLF only, no control bytes): each
// `name: value` with a token name and the value's surrounding whitespace removed. obs-fold and a
// missing or leading colon are refused: a proxy must not read a field differently from its peer.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Field lines between `from` and `to` appended to `out` as [name, value, ...], or null if one is malformed. */
export function parseFieldLines(b: Buffer, from: number, to: number, out: string[]): string[] | null {
  let p = from
  while (p < to) {
    let eol = b.indexOf(13, p)
    if (eol < 0 || eol > to) eol = to
    const first = b[p]
    if (first === 32 || first === 9) return null                  // obs-fold
    const colon = b.indexOf(58, p)
    if (colon < 0 || colon >= eol || colon === p) return null
    const name = b.toString('latin1', p, colon)
    if (!TOKEN.test(name)) return null
    let vs = colon + 1, ve = eol
    while (vs < ve && (b[vs] === 32 || b[vs] === 9)) vs++
    while (ve > vs && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--
    out.push(name, b.toString('latin1', vs, ve))
    p = eol + 2
  }
  return out
}
