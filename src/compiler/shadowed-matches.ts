// A rule match that another rule on the same parent already matches exactly never applies: the one
// first by precedence takes every request. Typically two routes each splitting one Service's traffic
// (overlapping canary splits); valid Gateway API, but almost never meant, so it gets a warning.
import type { FieldPath } from '../config/source.js'
import type { RouteEntryIR } from '../ir/route.js'
import type { ValidResource } from '../resources/validate-resource.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'

interface RuleShape { rules: { matches: unknown[] }[] }

/** What a request must carry to match the entry, in one comparable string. */
function matchKey(e: RouteEntryIR): string {
  const path = e.path.type === 'PathPrefix' && e.path.value.length > 1 ? e.path.value.replace(/\/$/, '') : e.path.value
  const headers = e.headers.map(h => `${h.type}\u0000${h.name.toLowerCase()}\u0000${h.value}`).sort()
  const query = e.queryParams.map(q => `${q.type}\u0000${q.name}\u0000${q.value}`).sort()
  return JSON.stringify([e.path.type, path, e.method, headers, query])
}

/** The HTTPRoute or GRPCRoute named by an entry, with its kind; null when the name is ambiguous or unknown. */
function routeOf(cat: Catalog, q: string): ValidResource<RuleShape> | null {
  const http = cat.get<RuleShape>('HTTPRoute', q), grpc = cat.get<RuleShape>('GRPCRoute', q)
  return http && grpc ? null : http ?? grpc ?? null
}

function matchPath(route: ValidResource<RuleShape>, e: RouteEntryIR): FieldPath {
  const explicit = (route.spec.rules[e.rule]?.matches.length ?? 0) > 0
  return explicit ? ['spec', 'rules', e.rule, 'matches', e.match] : ['spec', 'rules', e.rule]
}

/** One match of one rule of one route: the same entry reaches a parent twice when a route lists it twice. */
export function entryId(e: RouteEntryIR): string {
  return `${e.route}\u0000${e.rule}\u0000${e.match}`
}

/** Warns at every entry of `entries` (one parent and hostname, in precedence order) that an earlier one shadows. */
export function warnShadowedMatches(cat: Catalog, sink: DiagnosticSink, entries: readonly RouteEntryIR[], parent: string): void {
  const first = new Map<string, RouteEntryIR>()
  const seen = new Set<string>()
  for (const e of entries) {
    const id = entryId(e)
    if (seen.has(id)) continue // one route listing the same parent twice
    seen.add(id)
    const key = matchKey(e)
    const winner = first.get(key)
    if (!winner) {
      first.set(key, e)
      continue
    }
    const route = routeOf(cat, e.route), other = routeOf(cat, winner.route)
    if (!route || !other) continue
    sink.warn(route.source, matchPath(route, e), 'SHADOWED_MATCH',
      `never matches for ${parent}: ${other.kind} "${other.name}" (spec.rules[${winner.rule}]) has the same match and takes precedence`,
      'merge the two into one rule with weighted backendRefs, or make the matches differ')
  }
}
