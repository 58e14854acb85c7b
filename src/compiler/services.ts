// Services → ServiceIR: defaults, the attached TrafficPolicy and mesh routes (or one default route).
import type { RouteEntryIR } from '../ir/route.js'
import type { ServiceIR } from '../ir/service.js'
import type { ClientTrafficIR } from '../ir/client-traffic.js'
import { DEFAULT_TRAFFIC_POLICY, type TrafficPolicyIR } from '../ir/policy.js'
import type { ServiceSpec } from '../resources/service.js'
import type { Catalog } from './catalog.js'
import { sortedRecord } from './labels.js'
import { routeTable } from './routes.js'

/** The route of a Service without mesh routes: everything to itself. */
export function defaultServiceRoute(service: string): RouteEntryIR {
  return {
    route: '', rule: 0, match: 0,
    path: { type: 'PathPrefix', value: '/' },
    method: null, headers: [], queryParams: [], filters: [],
    backends: [{ service, weight: 1, filters: [] }],
    timeouts: { requestMs: null, backendRequestMs: 0 },
    retry: null,
    fault: null,
  }
}

export function compileServices(cat: Catalog, policies: ReadonlyMap<string, TrafficPolicyIR>,
  meshRoutes: ReadonlyMap<string, readonly RouteEntryIR[]>, clientTraffic: ReadonlyMap<string, ClientTrafficIR>): ServiceIR[] {
  return cat.list<ServiceSpec>('Service').map(svc => {
    const s = svc.spec
    const q = svc.qualifiedName
    const routes = meshRoutes.get(q)
    const hc = s.healthCheck
    return {
      name: q,
      protocol: s.protocol,
      port: s.port,
      selector: s.selector ? sortedRecord(s.selector) : null,
      endpoints: s.endpoints
        .map(e => ({ address: e.address, labels: sortedRecord(e.labels) }))
        .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)),
      healthCheck: hc ? {
        path: s.protocol === 'tcp' ? null : hc.path ?? null,
        intervalMs: hc.interval,
        timeoutMs: hc.timeout,
        unhealthyThreshold: hc.unhealthyThreshold,
        healthyThreshold: hc.healthyThreshold,
      } : null,
      policy: policies.get(q) ?? DEFAULT_TRAFFIC_POLICY,
      routes: routes && routes.length > 0
        ? routeTable(new Map([['*', routes]]))
        : { hosts: [{ hostname: '*', entries: [defaultServiceRoute(q)] }] },
      clientTraffic: clientTraffic.get(q) ?? null,
    }
  })
}
