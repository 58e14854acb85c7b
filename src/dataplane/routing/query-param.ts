// Finds a query parameter's value without parsing the whole query into a structure: route
// matching only needs a few names, and most requests have no query matchers at all.

/**
 * Value of the first `name` parameter in `query` (without the '?'), percent-decoded, or null.
 * A parameter without '=' has the value ''. Names compare case-sensitively, after decoding.
 */
export function findQueryParam(query: string, name: string): string | null {
  const len = query.length
  let i = 0
  while (i <= len) {
    let end = query.indexOf('&', i)
    if (end === -1) end = len
    let eq = query.indexOf('=', i)
    if (eq === -1 || eq > end) eq = end
    if (keyEquals(query, i, eq, name)) {
      return eq === end ? '' : decode(query.slice(eq + 1, end))
    }
    i = end + 1
  }
  return null
}

function keyEquals(query: string, start: number, end: number, name: string): boolean {
  if (end - start === name.length && query.startsWith(name, start)) return true
  // An encoded key (rare) can only match if it contains '%' and is longer than the name.
  if (end - start <= name.length) return false
  const raw = query.slice(start, end)
  return raw.includes('%') && decode(raw) === name
}

function decode(s: string): string {
  if (!s.includes('%')) return s
  try {
    return decodeURIComponent(s)
  } catch {
    return s                                // malformed escapes: compare the raw text
  }
}
