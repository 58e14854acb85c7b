// Gateway API route precedence: Exact path, longest PathPrefix, RegularExpression, then method,
// most header matches, most query matches, then (no creation timestamps) route name, rule, match.
import type { RouteEntryIR } from '../ir/route.js'

const PATH_RANK = { Exact: 0, PathPrefix: 1, RegularExpression: 2 } as const

/** Prefix length segment-wise: '/api/' and '/api' are the same prefix. */
function prefixLength(value: string): number {
  return value.length > 1 && value.endsWith('/') ? value.length - 1 : value.length
}

export function comparePrecedence(a: RouteEntryIR, b: RouteEntryIR): number {
  const pa = PATH_RANK[a.path.type], pb = PATH_RANK[b.path.type]
  if (pa !== pb) return pa - pb
  if (a.path.type === 'PathPrefix') {
    const la = prefixLength(a.path.value), lb = prefixLength(b.path.value)
    if (la !== lb) return lb - la
  }
  const ma = a.method === null ? 1 : 0, mb = b.method === null ? 1 : 0
  if (ma !== mb) return ma - mb
  if (a.headers.length !== b.headers.length) return b.headers.length - a.headers.length
  if (a.queryParams.length !== b.queryParams.length) return b.queryParams.length - a.queryParams.length
  if (a.route !== b.route) return a.route < b.route ? -1 : 1
  if (a.rule !== b.rule) return a.rule - b.rule
  return a.match - b.match
}

export function sortByPrecedence(entries: readonly RouteEntryIR[]): RouteEntryIR[] {
  return [...entries].sort(comparePrecedence)
}
