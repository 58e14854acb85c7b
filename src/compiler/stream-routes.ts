// TCPRoute and TLSRoute → StreamRouteIR entries for Gateway TCP/TLS listeners, and (TCPRoute with a
// Service parent) plain route entries for the caller's TCP outbound listener.
import type { RouteEntryIR } from '../ir/route.js'
import type { StreamBackendIR, StreamRouteIR } from '../ir/tcp.js'
import type { TCPRouteSpec } from '../resources/tcp-route.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { resolveBackend, warnAllWeightsZero } from './backends.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { compareHostnames } from './hostnames.js'

export interface CompiledStreamRule { readonly rule: number; readonly backends: readonly StreamBackendIR[] }

/** Resolves every backendRef of a TCPRoute / TLSRoute (they share the rule shape). */
export function compileStreamRules(cat: Catalog, sink: DiagnosticSink, route: ValidResource<TCPRouteSpec>): CompiledStreamRule[] {
  return route.spec.rules.map((rule, r) => {
    warnAllWeightsZero(sink, route, rule.backendRefs, ['spec', 'rules', r])
    return {
      rule: r,
      backends: rule.backendRefs.map((b, i) => ({
        service: resolveBackend(cat, sink, route, b, ['spec', 'rules', r, 'backendRefs', i]),
        weight: b.weight,
      })),
    }
  })
}

/** The entries of one route on one listener, one per hostname and rule. */
export function streamEntries(route: string, hostnames: readonly string[], rules: readonly CompiledStreamRule[]): StreamRouteIR[] {
  return hostnames.flatMap(hostname => rules.map(r => ({ hostname, route, rule: r.rule, backends: r.backends })))
}

/** A TCPRoute attached to a Service: route entries of the Service's (TCP) mesh route table. */
export function meshStreamEntries(route: string, rules: readonly CompiledStreamRule[]): RouteEntryIR[] {
  return rules.map(r => ({
    route, rule: r.rule, match: 0,
    path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [], filters: [],
    backends: r.backends.map(b => ({ service: b.service, weight: b.weight, filters: [] })),
    timeouts: { requestMs: null, backendRequestMs: 0 }, retry: null, fault: null,
  }))
}

/** Most specific hostname first, then route name, then rule: the data plane takes the first that fits. */
export function sortStreamRoutes(entries: readonly StreamRouteIR[]): StreamRouteIR[] {
  return [...entries].sort((a, b) => compareHostnames(a.hostname, b.hostname)
    || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) || a.rule - b.rule)
}
