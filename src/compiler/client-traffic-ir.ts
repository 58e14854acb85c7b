// ClientTrafficPolicies → ClientTrafficIR per Service (inbound side) and per Gateway listener.
// Targets were already checked by attachPolicies; a policy with errors is left out. A targetRef
// with sectionName (one listener) wins over one naming the whole Gateway; otherwise the first
// policy by namespace/name wins and the others get a POLICY_CONFLICT warning.
import { DEFAULT_CLIENT_TRAFFIC as D, type ClientTrafficIR } from '../ir/client-traffic.js'
import type { ClientTrafficPolicySpec } from '../resources/client-traffic-policy.js'
import { targetsOf } from '../resources/common.js'
import type { Path } from '../resources/schema.js'
import type { GatewaySpec } from '../resources/gateway.js'
import type { ValidResource } from '../resources/validate-resource.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { listenerKey } from './routes.js'

export interface ClientTrafficByTarget {
  readonly services: ReadonlyMap<string, ClientTrafficIR>
  /** By listenerKey(gateway, listener). */
  readonly listeners: ReadonlyMap<string, ClientTrafficIR>
}

export function compileClientTrafficSpec(spec: ClientTrafficPolicySpec): ClientTrafficIR {
  const l = spec.limits ?? {}, t = spec.timeouts ?? {}, p = spec.paths ?? {}
  return {
    maxRequestHeadersBytes: l.maxRequestHeadersBytes ?? D.maxRequestHeadersBytes,
    maxRequestHeaders: l.maxRequestHeaders ?? D.maxRequestHeaders,
    maxUrlBytes: l.maxUrlBytes ?? D.maxUrlBytes,
    maxRequestBodyBytes: l.maxRequestBodyBytes ?? D.maxRequestBodyBytes,
    maxConnections: l.maxConnections ?? D.maxConnections,
    http2MaxConcurrentStreams: l.http2MaxConcurrentStreams ?? D.http2MaxConcurrentStreams,
    requestHeadersTimeoutMs: t.requestHeaders ?? D.requestHeadersTimeoutMs,
    idleTimeoutMs: t.idle ?? D.idleTimeoutMs,
    requestTimeoutMs: t.request ?? D.requestTimeoutMs,
    trustedHops: spec.clientIP?.trustedHops ?? D.trustedHops,
    allowEncodedSlashes: p.allowEncodedSlashes ?? D.allowEncodedSlashes,
    allowBackslashes: p.allowBackslashes ?? D.allowBackslashes,
    allowSemicolons: p.allowSemicolons ?? D.allowSemicolons,
  }
}

export function compileClientTraffic(cat: Catalog, sink: DiagnosticSink): ClientTrafficByTarget {
  const services = new Map<string, ClientTrafficIR>()
  const listeners = new Map<string, ClientTrafficIR>()
  const owner = new Map<string, { name: string; section: boolean }>()
  const claim = (policy: ValidResource<ClientTrafficPolicySpec>, key: string, section: boolean, path: Path,
    what: string, ir: ClientTrafficIR, into: Map<string, ClientTrafficIR>): void => {
    const prior = owner.get(key)
    if (prior && (prior.section || !section)) {
      if (prior.section === section) {
        sink.warn(policy.source, path, 'POLICY_CONFLICT', `${what} already has ClientTrafficPolicy "${prior.name}"; this one is ignored for it`,
          'attach one ClientTrafficPolicy per target (the first by namespace/name wins)')
      }
      return
    }
    owner.set(key, { name: policy.qualifiedName, section })
    into.set(key, ir)
  }
  for (const policy of cat.list<ClientTrafficPolicySpec>('ClientTrafficPolicy')) {
    if (sink.hasErrors(policy.source)) continue
    const ir = compileClientTrafficSpec(policy.spec)
    for (const { ref, path } of targetsOf(policy.spec)) {
      const q = `${ref.namespace ?? policy.namespace}/${ref.name}`
      if (ref.kind === 'Service') {
        if (cat.get('Service', q)) claim(policy, `s\u0000${q}`, false, path, `Service "${ref.name}"`, ir, services)
        continue
      }
      const gw = cat.get<GatewaySpec>('Gateway', q)
      if (!gw) continue
      for (const l of gw.spec.listeners) {
        if (ref.sectionName !== undefined && l.name !== ref.sectionName) continue
        const key = listenerKey(q, l.name)
        claim(policy, key, ref.sectionName !== undefined, path, `listener "${l.name}" of Gateway "${ref.name}"`, ir, listeners)
      }
    }
  }
  return {
    services: new Map([...services].map(([k, v]) => [k.slice(2), v])),
    listeners,
  }
}
