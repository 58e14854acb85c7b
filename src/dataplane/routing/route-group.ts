// The entries of one host group, compiled for matching. Entries arrive sorted by Gateway API
// precedence, so the answer is always "the first entry that fully matches". Exact paths are
// indexed in a Map; a match walks that path's exact entries and the non-exact entries merged in
// their original order, so the result equals a plain first-match scan.
import type { IncomingHttpHeaders } from 'node:http'
import type { RouteEntryIR, ValueMatchIR } from '../../ir/route.js'
import { findQueryParam } from './query-param.js'

const PATH_EXACT = 0, PATH_PREFIX = 1, PATH_REGEX = 2

class ValueMatcher {
  readonly name: string
  readonly value: string
  readonly regex: RegExp | null
  constructor(name: string, value: string, regex: RegExp | null) {
    this.name = name; this.value = value; this.regex = regex
  }
  test(actual: string): boolean {
    return this.regex === null ? actual === this.value : this.regex.test(actual)
  }
}

class CompiledEntry<R> {
  readonly pathKind: number
  /** Exact: the path. Prefix: the prefix without trailing slash ('' for '/'). Regex: unused. */
  readonly pathValue: string
  readonly pathRegex: RegExp | null
  readonly method: string | null
  readonly headers: readonly ValueMatcher[] | null
  readonly query: readonly ValueMatcher[] | null
  readonly result: R

  constructor(e: RouteEntryIR, result: R) {
    const p = e.path
    this.pathKind = p.type === 'Exact' ? PATH_EXACT : p.type === 'PathPrefix' ? PATH_PREFIX : PATH_REGEX
    this.pathValue = p.type === 'PathPrefix' ? trimTrailingSlashes(p.value) : p.value
    this.pathRegex = p.type === 'RegularExpression' ? fullMatch(p.value, e) : null
    this.method = e.method
    this.headers = e.headers.length === 0 ? null : e.headers.map(h => valueMatcher(h, h.name.toLowerCase(), e))
    this.query = e.queryParams.length === 0 ? null : e.queryParams.map(q => valueMatcher(q, q.name, e))
    this.result = result
  }

  matches(path: string, query: string | null, method: string, headers: IncomingHttpHeaders): boolean {
    switch (this.pathKind) {
      case PATH_EXACT: if (path !== this.pathValue) return false; break
      case PATH_PREFIX: if (!prefixMatches(path, this.pathValue)) return false; break
      default: if (!this.pathRegex!.test(path)) return false
    }
    if (this.method !== null && this.method !== method) return false
    if (this.headers !== null) {
      for (let i = 0; i < this.headers.length; i++) {
        const m = this.headers[i]
        const v = headers[m.name]
        if (v === undefined) return false
        // Node keeps repeated headers as an array only for a few names; join them per RFC 9110.
        if (!m.test(typeof v === 'string' ? v : v.join(', '))) return false
      }
    }
    if (this.query !== null) {
      if (query === null) return false
      for (let i = 0; i < this.query.length; i++) {
        const m = this.query[i]
        const v = findQueryParam(query, m.name)
        if (v === null || !m.test(v)) return false
      }
    }
    return true
  }
}

/** Segment-wise prefix: `/foo` matches `/foo`, `/foo/`, `/foo/bar`, never `/foobar`. */
function prefixMatches(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47)
}

function trimTrailingSlashes(p: string): string {
  let end = p.length
  while (end > 0 && p.charCodeAt(end - 1) === 47) end--
  return p.slice(0, end)
}

function fullMatch(source: string, e: RouteEntryIR): RegExp {
  try {
    return new RegExp(`^(?:${source})$`)
  } catch (err) {
    // The compiler validates regexes; reaching this is a broken invariant, not a user mistake.
    throw new Error(`invalid regular expression in route ${e.route} rule ${e.rule}: ${source}`, { cause: err })
  }
}

function valueMatcher(m: ValueMatchIR, name: string, e: RouteEntryIR): ValueMatcher {
  return new ValueMatcher(name, m.value, m.type === 'RegularExpression' ? fullMatch(m.value, e) : null)
}

const NO_INDICES = new Int32Array(0)

export class RouteGroup<R> {
  private readonly entries: readonly CompiledEntry<R>[]
  private readonly exactByPath: Map<string, Int32Array>
  /** Indices of the non-Exact entries, ascending. */
  private readonly others: Int32Array

  constructor(entries: readonly RouteEntryIR[], build: (entry: RouteEntryIR) => R) {
    this.entries = entries.map(e => new CompiledEntry(e, build(e)))
    const exact = new Map<string, number[]>(), others: number[] = []
    this.entries.forEach((c, i) => {
      if (c.pathKind !== PATH_EXACT) others.push(i)
      else exact.set(c.pathValue, [...(exact.get(c.pathValue) ?? []), i])
    })
    this.exactByPath = new Map([...exact].map(([p, idx]) => [p, Int32Array.from(idx)]))
    this.others = Int32Array.from(others)
  }

  match(path: string, query: string | null, method: string, headers: IncomingHttpHeaders): R | null {
    const exact = this.exactByPath.size === 0 ? NO_INDICES : this.exactByPath.get(path) ?? NO_INDICES
    const others = this.others, entries = this.entries
    let a = 0, b = 0
    while (a < exact.length || b < others.length) {
      const i = b === others.length || (a < exact.length && exact[a] < others[b]) ? exact[a++] : others[b++]
      const e = entries[i]
      if (e.matches(path, query, method, headers)) return e.result
    }
    return null
  }
}
