// A TCP or TLS-passthrough listener's stream routes → its StreamRouter: per entry the weighted
// backends are tabled once; `route(sni)` walks the entries (most specific hostname first).
import type { RouteTableIR } from '../../ir/route.js'
import type { StreamRouteIR } from '../../ir/tcp.js'
import { SmoothWeightedPicker } from '../../lib/weighted-pick.js'
import type { Cluster } from '../upstream/cluster.js'

export interface StreamTarget { readonly route: string; readonly cluster: Cluster | null; readonly service: string | null }

export interface StreamRouter {
  /** The backend for a connection with this SNI name (null: none sent, or a plain TCP listener); null = no route. */
  route(serverName: string | null): StreamTarget | null
}

interface CompiledStreamRoute {
  readonly exact: string | null          // exact hostname
  readonly suffix: string | null         // '.example.com' for '*.example.com'
  readonly any: boolean
  readonly picker: SmoothWeightedPicker
  readonly targets: readonly StreamTarget[]
}

export function buildStreamRouter(entries: readonly StreamRouteIR[], clusters: ReadonlyMap<string, Cluster>): StreamRouter {
  const compiled: CompiledStreamRoute[] = entries.map(e => ({
    exact: e.hostname !== '*' && !e.hostname.startsWith('*.') ? e.hostname : null,
    suffix: e.hostname.startsWith('*.') ? e.hostname.slice(1) : null,
    any: e.hostname === '*',
    picker: new SmoothWeightedPicker(e.backends.map(b => b.weight)),
    targets: e.backends.map(b => ({ route: e.route, service: b.service, cluster: b.service ? clusters.get(b.service) ?? null : null })),
  }))
  return {
    route(serverName) {
      for (const c of compiled) {
        if (!c.any) {
          if (serverName === null) continue
          if (c.exact !== null ? c.exact !== serverName : !(serverName.length > c.suffix!.length && serverName.endsWith(c.suffix!))) continue
        }
        const i = c.picker.next()
        return i < 0 ? null : c.targets[i]
      }
      return null
    },
  }
}

/** One route to one cluster: a sidecar's TCP outbound listener, or its TCP inbound to the app. */
export function singleStreamRouter(target: StreamTarget): StreamRouter {
  return { route: () => target }
}

/** A `tcp` Service's mesh route table (its default route, or TCPRoutes with it as parent) as stream routes. */
export function streamRouterFromTable(table: RouteTableIR, clusters: ReadonlyMap<string, Cluster>): StreamRouter {
  const entries: StreamRouteIR[] = (table.hosts[0]?.entries ?? []).map(e => ({
    hostname: '*', route: e.route, rule: e.rule, backends: e.backends.map(b => ({ service: b.service, weight: b.weight })),
  }))
  return buildStreamRouter(entries, clusters)
}

/** Most specific hostname first (exact, longest wildcard, '*'), keeping the given order otherwise. */
export function sortBySpecificity(entries: readonly StreamRouteIR[]): StreamRouteIR[] {
  const rank = (h: string) => (h === '*' ? 1e6 : h.startsWith('*.') ? 1e3 - h.length : 0)
  return entries.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e.hostname) - rank(b.e.hostname) || a.i - b.i).map(x => x.e)
}
