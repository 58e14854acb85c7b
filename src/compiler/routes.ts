// Every route kind → entries attached to Services (mesh) and Gateway listeners, in precedence order.
import type { HostRoutesIR, RouteEntryIR, RouteTableIR } from '../ir/route.js'
import type { TrafficPolicyIR } from '../ir/policy.js'
import type { GRPCRouteSpec } from '../resources/grpc-route.js'
import type { HTTPRouteSpec } from '../resources/http-route.js'
import type { StreamRouteIR } from '../ir/tcp.js'
import type { TCPRouteSpec } from '../resources/tcp-route.js'
import type { ValidResource } from '../resources/validate-resource.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { compareHostnames, hostCovers } from './hostnames.js'
import { sortByPrecedence } from './precedence.js'
import { entryId, warnShadowedMatches } from './shadowed-matches.js'
import { compileGrpcRouteEntries, compileHttpRouteEntries } from './route-entries.js'
import { resolveParents, type RouteSpecLike } from './route-parents.js'
import { compileStreamRules, meshStreamEntries, streamEntries, type CompiledStreamRule } from './stream-routes.js'

export interface CompiledRoutes {
  /** Mesh routes by Service (qualified name). */
  readonly mesh: ReadonlyMap<string, readonly RouteEntryIR[]>
  /** Gateway routes by listenerKey(gateway, listener), then hostname. */
  readonly listeners: ReadonlyMap<string, ReadonlyMap<string, readonly RouteEntryIR[]>>
  /** TCPRoute / TLSRoute entries by listenerKey(gateway, listener), unsorted. */
  readonly streams: ReadonlyMap<string, readonly StreamRouteIR[]>
}

export function listenerKey(gateway: string, listener: string): string {
  return `${gateway}\u0000${listener}`
}

function push<K, V>(m: Map<K, V[]>, k: K, v: readonly V[]): void {
  const list = m.get(k) ?? []
  list.push(...v)
  m.set(k, list)
}

export function compileRoutes(cat: Catalog, sink: DiagnosticSink, routePolicies: ReadonlyMap<string, TrafficPolicyIR> = new Map()): CompiledRoutes {
  const mesh = new Map<string, RouteEntryIR[]>()
  const listeners = new Map<string, Map<string, RouteEntryIR[]>>()
  const streams = new Map<string, StreamRouteIR[]>()
  const kinds = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute'] as const
  for (const kind of kinds) {
    for (const route of cat.list<RouteSpecLike>(kind)) {
      const attachments = resolveParents(cat, sink, route)
      let entries: RouteEntryIR[] = []
      let rules: CompiledStreamRule[] | null = null
      if (kind === 'HTTPRoute') entries = compileHttpRouteEntries(cat, sink, route as ValidResource<HTTPRouteSpec>, routePolicies.get(route.qualifiedName) ?? null)
      else if (kind === 'GRPCRoute') entries = compileGrpcRouteEntries(cat, sink, route as ValidResource<GRPCRouteSpec>, routePolicies.get(route.qualifiedName) ?? null)
      else {
        rules = compileStreamRules(cat, sink, route as unknown as ValidResource<TCPRouteSpec>)
        entries = meshStreamEntries(route.qualifiedName, rules)
      }
      if (sink.hasErrors(route.source) || entries.length === 0) continue // a route with errors is left out
      for (const a of attachments) {
        if (a.type === 'service') push(mesh, a.service, entries)
        else if (rules) push(streams, listenerKey(a.gateway, a.listener), streamEntries(route.qualifiedName, a.hostnames, rules))
        else {
          const key = listenerKey(a.gateway, a.listener)
          const hosts = listeners.get(key) ?? new Map<string, RouteEntryIR[]>()
          listeners.set(key, hosts)
          for (const h of a.hostnames) push(hosts, h, entries)
        }
      }
    }
  }
  for (const [service, entries] of mesh) {
    warnShadowedMatches(cat, sink, sortByPrecedence(entries), `Service "${service.slice(service.indexOf('/') + 1)}"`)
  }
  for (const [key, hosts] of listeners) {
    const [gateway, listener] = key.split('\u0000')
    for (const [host, entries] of hosts) {
      const where = `listener "${listener}" of Gateway "${gateway.slice(gateway.indexOf('/') + 1)}"${host === '*' ? '' : ` (${host})`}`
      warnShadowedMatches(cat, sink, sortByPrecedence(entries), where)
    }
  }
  return { mesh, listeners, streams }
}

/**
 * Host groups most specific first. A group's entries are its own in precedence order, then those of
 * every less specific group that covers its hostname (Gateway API: rules of the route with the more
 * specific hostname take precedence, the others still apply), so the data plane picks one group.
 */
export function routeTable(hosts: ReadonlyMap<string, readonly RouteEntryIR[]> | undefined): RouteTableIR {
  if (!hosts) return { hosts: [] }
  const names = [...hosts.keys()].sort(compareHostnames)
  const own = new Map(names.map(h => [h, sortByPrecedence(hosts.get(h) ?? [])]))
  const groups: HostRoutesIR[] = names.map(hostname => {
    const seen = new Set<string>()
    const entries: RouteEntryIR[] = []
    for (const g of names) {
      if (!hostCovers(g, hostname)) continue
      for (const e of own.get(g) ?? []) {
        const key = entryId(e)
        if (seen.has(key)) continue
        seen.add(key)
        entries.push(e)
      }
    }
    return { hostname, entries }
  })
  return { hosts: groups }
}
