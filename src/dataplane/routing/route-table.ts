// A listener's route table, compiled once per snapshot: host lookup, then the first entry of
// that host group that fully matches. Groups are tried most specific first (exact host, longest
// wildcard, then '*') and a group with no matching entry falls through to the next, as Gateway
// API precedence ranks matches by hostname specificity before path, method, headers and query.
import type { IncomingHttpHeaders } from 'node:http'
import type { RouteEntryIR, RouteTableIR } from '../../ir/route.js'
import { HostIndex, normalizeHost } from './host-index.js'
import { RouteGroup } from './route-group.js'

export interface RouteMatcher<R> {
  /**
   * `host` is the raw Host / :authority (case and port are handled here), `path` the normalized
   * path without query, `query` the text after '?' (null when none), `method` upper-case.
   */
  match(host: string, path: string, query: string | null, method: string, headers: IncomingHttpHeaders): R | null
}

class CompiledRouteTable<R> implements RouteMatcher<R> {
  private readonly hosts = new HostIndex<RouteGroup<R>>()

  constructor(table: RouteTableIR, build: (entry: RouteEntryIR) => R) {
    for (const h of table.hosts) this.hosts.add(h.hostname, new RouteGroup(h.entries, build))
  }

  match(host: string, path: string, query: string | null, method: string, headers: IncomingHttpHeaders): R | null {
    const hosts = this.hosts
    const h = normalizeHost(host)
    const exact = hosts.exactGroup(h)
    if (exact !== null) {
      const r = exact.match(path, query, method, headers)
      if (r !== null) return r
    }
    for (let i = 0; i < hosts.wildcardCount; i++) {
      const g = hosts.wildcardGroup(i, h)
      if (g === null) continue
      const r = g.match(path, query, method, headers)
      if (r !== null) return r
    }
    const any = hosts.any
    return any === null ? null : any.match(path, query, method, headers)
  }
}

/** Compiles `table` once; `build` makes each entry's per-route runtime (handler chain, …). */
export function compileRouteTable<R>(table: RouteTableIR, build: (entry: RouteEntryIR) => R): RouteMatcher<R> {
  return new CompiledRouteTable(table, build)
}
