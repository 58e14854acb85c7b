// HTTPRoute / GRPCRoute rules → flat RouteEntryIRs, one per (rule, match).
import type { FieldPath } from '../config/source.js'
import type { BackendIR, PathMatchIR, RouteEntryIR, RouteTimeoutsIR, ValueMatchIR } from '../ir/route.js'
import type { RetryIR, TrafficPolicyIR } from '../ir/policy.js'
import type { GRPCRouteSpec, GRPCRule } from '../resources/grpc-route.js'
import type { RouteFilter } from '../resources/http-filters.js'
import type { GRPCMatch, HTTPMatch, ValueMatch } from '../resources/http-matches.js'
import type { HTTPRouteSpec, HTTPRule } from '../resources/http-route.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { resolveBackend, warnAllWeightsZero } from './backends.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { compileFilters } from './route-filters.js'

const ROOT: PathMatchIR = { type: 'PathPrefix', value: '/' }

/** Defaults of a route rule's `retry` (Gateway API leaves them to the implementation). */
export const ROUTE_RETRY_DEFAULTS = { attempts: 1, backoffBaseMs: 25, budgetPercent: 20, budgetMinRetriesPerSecond: 10 }

function valueMatches(list: readonly ValueMatch[], lowerCase: boolean): ValueMatchIR[] {
  return list.map(m => ({ type: m.type, name: lowerCase ? m.name.toLowerCase() : m.name, value: m.value }))
}

interface RuleLike { filters: RouteFilter[]; backendRefs: { group: string; kind: string; name: string; namespace?: string; port?: number; weight: number; filters: RouteFilter[] }[] }

interface Ctx { cat: Catalog; sink: DiagnosticSink; route: ValidResource }

function backends(ctx: Ctx, rule: RuleLike, path: FieldPath): BackendIR[] {
  warnAllWeightsZero(ctx.sink, ctx.route, rule.backendRefs, path)
  return rule.backendRefs.map((b, i) => ({
    service: resolveBackend(ctx.cat, ctx.sink, ctx.route, b, [...path, 'backendRefs', i]),
    weight: b.weight,
    filters: compileFilters(ctx.cat, ctx.sink, ctx.route, b.filters, [...path, 'backendRefs', i, 'filters']),
  }))
}

/**
 * The rule's `timeouts.request` wins, `0s` included (it switches every other timeout off); else a
 * TrafficPolicy attached to the route; else null, leaving it to the destination Service's policy.
 */
function routeTimeouts(ruleRequestMs: number | undefined, ruleBackendRequestMs: number | undefined, policy: TrafficPolicyIR | null): RouteTimeoutsIR {
  return { requestMs: ruleRequestMs ?? policy?.timeoutMs ?? null, backendRequestMs: ruleBackendRequestMs ?? 0 }
}

function routeRetry(rule: HTTPRule): RetryIR | null {
  const r = rule.retry
  if (!r) return null
  const base = r.backoff ?? ROUTE_RETRY_DEFAULTS.backoffBaseMs
  return {
    attempts: r.attempts ?? ROUTE_RETRY_DEFAULTS.attempts,
    perTryTimeoutMs: rule.timeouts?.backendRequest ?? 0,
    retryOn: ['connect-failure', 'reset', ...(r.codes ?? []).map(String)],
    backoffBaseMs: base,
    backoffMaxMs: base * 10,
    budgetPercent: ROUTE_RETRY_DEFAULTS.budgetPercent,
    budgetMinRetriesPerSecond: ROUTE_RETRY_DEFAULTS.budgetMinRetriesPerSecond,
  }
}

export function compileHttpRouteEntries(cat: Catalog, sink: DiagnosticSink, route: ValidResource<HTTPRouteSpec>, policy: TrafficPolicyIR | null = null): RouteEntryIR[] {
  const ctx: Ctx = { cat, sink, route }
  const out: RouteEntryIR[] = []
  route.spec.rules.forEach((rule, r) => {
    const path = ['spec', 'rules', r]
    const filters = compileFilters(cat, sink, route, rule.filters as RouteFilter[], [...path, 'filters'])
    const bs = backends(ctx, rule as RuleLike, path)
    const timeouts = routeTimeouts(rule.timeouts?.request, rule.timeouts?.backendRequest, policy)
    const retry = routeRetry(rule) ?? policy?.retries ?? null
    const matches: (HTTPMatch | null)[] = rule.matches.length > 0 ? rule.matches : [null]
    matches.forEach((m, i) => {
      out.push({
        route: route.qualifiedName, rule: r, match: i,
        path: m ? { type: m.path.type, value: m.path.value } : ROOT,
        method: m?.method ?? null,
        headers: m ? valueMatches(m.headers, true) : [],
        queryParams: m ? valueMatches(m.queryParams, false) : [],
        filters, backends: bs, timeouts, retry, fault: policy?.faultInjection ?? null,
      })
    })
  })
  return out
}

/** One path segment matched by `source`, or any segment when there is none. */
function regexGroup(source: string | undefined): string {
  return source === undefined ? '[^/]+' : `(?:${source})`
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** gRPC {service, method} → the one path shape the data plane matches. */
export function grpcPath(m: GRPCMatch['method']): PathMatchIR {
  if (!m) return ROOT
  if (m.type === 'RegularExpression') {
    // Each field is an expression of its own: grouped, so that an alternation (`a|b`) stays inside it.
    return { type: 'RegularExpression', value: `/${regexGroup(m.service)}/${regexGroup(m.method)}` }
  }
  if (m.service !== undefined && m.method !== undefined) return { type: 'Exact', value: `/${m.service}/${m.method}` }
  if (m.service !== undefined) return { type: 'PathPrefix', value: `/${m.service}/` }
  return { type: 'RegularExpression', value: `/[^/]+/${escapeRegex(m.method ?? '')}` }
}

export function compileGrpcRouteEntries(cat: Catalog, sink: DiagnosticSink, route: ValidResource<GRPCRouteSpec>, policy: TrafficPolicyIR | null = null): RouteEntryIR[] {
  const ctx: Ctx = { cat, sink, route }
  const out: RouteEntryIR[] = []
  route.spec.rules.forEach((rule: GRPCRule, r) => {
    const path = ['spec', 'rules', r]
    const filters = compileFilters(cat, sink, route, rule.filters as RouteFilter[], [...path, 'filters'])
    const bs = backends(ctx, rule as RuleLike, path)
    const timeouts = routeTimeouts(undefined, undefined, policy)
    const matches: (GRPCMatch | null)[] = rule.matches.length > 0 ? rule.matches : [null]
    matches.forEach((m, i) => {
      out.push({
        route: route.qualifiedName, rule: r, match: i,
        path: grpcPath(m?.method),
        method: null,
        headers: m ? valueMatches(m.headers, true) : [],
        queryParams: [],
        filters, backends: bs, timeouts, retry: policy?.retries ?? null, fault: policy?.faultInjection ?? null,
      })
    })
  })
  return out
}
