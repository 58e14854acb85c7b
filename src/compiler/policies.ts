// Policy attachment: every policy's targetRef(s) must name something; TrafficPolicies → per-Service IR.
import type { TrafficPolicyIR } from '../ir/policy.js'
import { mergeAuthorization, type AuthorizationIR, type AuthorizationTargetsIR } from '../ir/authorization.js'
import type { AuthorizationPolicySpec } from '../resources/authorization-policy.js'
import { compileAuthorizationPolicy } from './authorization-ir.js'
import { mergeRateLimits, type RateLimitsIR, type RateLimitTargetsIR } from '../ir/rate-limit.js'
import type { RateLimitPolicySpec } from '../resources/rate-limit-policy.js'
import type { SecurityIR, SecurityTargetsIR } from '../ir/security.js'
import type { SecurityPolicySpec } from '../resources/security-policy.js'
import type { HTTPRouteSpec } from '../resources/http-route.js'
import { compileSecurityPolicy } from './security-ir.js'
import { targetsOf, type TargetRef } from '../resources/common.js'
import { GATEWAY_GROUP } from '../resources/gateway-api-refs.js'
import type { GatewaySpec } from '../resources/gateway.js'
import type { TrafficPolicySpec } from '../resources/traffic-policy.js'
import type { ValidResource } from '../resources/validate-resource.js'
import type { FieldPath } from '../config/source.js'
import { SERVICE_GROUPS } from './backends.js'
import { notFound, type Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { compileTrafficPolicy } from './traffic-policy-ir.js'

export const POLICY_KINDS = ['TrafficPolicy', 'AuthorizationPolicy', 'SecurityPolicy', 'RateLimitPolicy', 'ClientTrafficPolicy']

type PolicySpec = { targetRef?: TargetRef; targetRefs?: TargetRef[] }

/** The qualified name of the target, or null (with an error) when it attaches to nothing. */
function resolveTarget(cat: Catalog, sink: DiagnosticSink, policy: ValidResource, ref: TargetRef, path: FieldPath): string | null {
  const src = policy.source
  const groups = ref.kind === 'Service' ? SERVICE_GROUPS : [GATEWAY_GROUP]
  if (ref.group !== undefined && !groups.includes(ref.group)) {
    sink.error(src, [...path, 'group'], 'INVALID_VALUE', `group "${ref.group}" does not fit kind ${ref.kind}`,
      `use group: ${JSON.stringify(groups[0])}, or leave it out`)
    return null
  }
  const ns = ref.namespace ?? policy.namespace
  const q = `${ns}/${ref.name}`
  if (!cat.exists(ref.kind, q)) {
    const nf = notFound(cat, ref.kind, ns, ref.name, policy.namespace)
    sink.error(src, [...path, 'name'], 'REF_NOT_FOUND', nf.message, nf.hint)
    return null
  }
  if (ref.sectionName !== undefined) {
    const gw = ref.kind === 'Gateway' ? cat.get<GatewaySpec>('Gateway', q) : undefined
    if (ref.kind !== 'Gateway') {
      sink.error(src, [...path, 'sectionName'], 'NO_SECTION', `a ${ref.kind} target has no sections`, 'leave sectionName out', 'key')
      return null
    }
    if (gw && !gw.spec.listeners.some(l => l.name === ref.sectionName)) {
      sink.error(src, [...path, 'sectionName'], 'REF_NOT_FOUND', `listener "${ref.sectionName}" not found in Gateway "${ref.name}"`,
        `known: ${gw.spec.listeners.map(l => l.name).sort().join(', ')}`)
      return null
    }
  }
  return q
}

/** Checks every policy's targets; returns the TrafficPolicy of each Service that has one. */
export interface AttachedPolicies {
  readonly services: Map<string, TrafficPolicyIR>
  readonly routes: Map<string, TrafficPolicyIR>
  readonly authorization: AuthorizationTargetsIR
  readonly rateLimits: RateLimitTargetsIR
  readonly security: SecurityTargetsIR
}

export function attachPolicies(cat: Catalog, sink: DiagnosticSink, trustDomain: string): AttachedPolicies {
  const byService = new Map<string, ValidResource<TrafficPolicySpec>>()
  const byRoute = new Map<string, ValidResource<TrafficPolicySpec>>()
  const result = new Map<string, TrafficPolicyIR>()
  const routes = new Map<string, TrafficPolicyIR>()
  const authz = { services: {} as Record<string, AuthorizationIR>, gateways: {} as Record<string, AuthorizationIR>, routes: {} as Record<string, AuthorizationIR> }
  const limits = { services: {} as Record<string, RateLimitsIR>, gateways: {} as Record<string, RateLimitsIR>, routes: {} as Record<string, RateLimitsIR> }
  const security = { gateways: {} as Record<string, SecurityIR>, routes: {} as Record<string, SecurityIR> }
  const auditFiles = new Map<string, SecurityIR>()
  for (const kind of POLICY_KINDS) {
    for (const policy of cat.list<PolicySpec>(kind)) {
      const targets = targetsOf(policy.spec).map(t => ({ ...t, q: resolveTarget(cat, sink, policy, t.ref, t.path) }))
      if (kind === 'AuthorizationPolicy' && !sink.hasErrors(policy.source)) {
        const ir = compileAuthorizationPolicy(policy.qualifiedName, policy.namespace, (policy as ValidResource<AuthorizationPolicySpec>).spec, trustDomain)
        mergeInto(authz, targets, ir, mergeAuthorization)
      }
      if (kind === 'RateLimitPolicy' && !sink.hasErrors(policy.source)) {
        const spec = (policy as ValidResource<RateLimitPolicySpec>).spec
        const ir: RateLimitsIR = {
          policies: [policy.qualifiedName],
          limits: spec.limits.map((l, i) => ({
            bucket: `${policy.qualifiedName}#${i}`, key: l.key.startsWith('header:') ? l.key.toLowerCase() : l.key,
            requests: l.requests, perMs: l.per, store: spec.store,
          })),
        }
        mergeInto(limits, targets, ir, mergeRateLimits)
      }
      if (kind === 'SecurityPolicy' && !sink.hasErrors(policy.source)) {
        attachSecurityPolicy(cat, sink, policy as ValidResource<SecurityPolicySpec>, targets, security, auditFiles)
      }
      if (kind !== 'TrafficPolicy' || sink.hasErrors(policy.source)) continue
      for (const t of targets) {
        if (t.q === null) continue
        if (t.ref.kind === 'HTTPRoute' || t.ref.kind === 'GRPCRoute') {
          const first = byRoute.get(t.q)
          if (first) {
            sink.warn(policy.source, t.path, 'POLICY_CONFLICT',
              `${t.ref.kind} "${t.ref.name}" already has TrafficPolicy "${first.qualifiedName}"; this one is ignored for it`,
              'attach one TrafficPolicy per route (the first by namespace/name wins)')
            continue
          }
          const tp = policy as ValidResource<TrafficPolicySpec>
          byRoute.set(t.q, tp)
          routes.set(t.q, compileTrafficPolicy(tp.spec))
          continue
        }
        if (!cat.get('Service', t.q)) continue
        const winner = byService.get(t.q)
        if (winner) {
          sink.warn(policy.source, t.path, 'POLICY_CONFLICT',
            `Service "${t.ref.name}" already has TrafficPolicy "${winner.qualifiedName}"; this one is ignored for it`,
            'attach one TrafficPolicy per Service (the first by namespace/name wins)')
          continue
        }
        const tp = policy as ValidResource<TrafficPolicySpec>
        byService.set(t.q, tp)
        result.set(t.q, compileTrafficPolicy(tp.spec))
      }
    }
  }
  return {
    services: result, routes, authorization: sortKeys(authz), rateLimits: sortKeys(limits),
    security: { gateways: sortedRecord(security.gateways), routes: sortedRecord(security.routes) },
  }
}

/**
 * One SecurityPolicy per target: the first by namespace/name wins, later ones get a warning. A policy
 * on an HTTPRoute acts only where the route is attached to a Gateway; on a mesh route it does nothing.
 * `auditFiles`: the first attached policy writing each audit file, whose rotation limits the file gets.
 */
function attachSecurityPolicy(cat: Catalog, sink: DiagnosticSink, policy: ValidResource<SecurityPolicySpec>,
  targets: readonly { ref: TargetRef; path: FieldPath; q: string | null }[],
  into: { gateways: Record<string, SecurityIR>; routes: Record<string, SecurityIR> }, auditFiles: Map<string, SecurityIR>): void {
  let ir = compileSecurityPolicy(policy.qualifiedName, policy.spec, policy.source.dir)
  let attached = false
  for (const t of targets) {
    if (t.q === null) continue
    const isGateway = t.ref.kind === 'Gateway'
    if (!isGateway && !cat.get<HTTPRouteSpec>('HTTPRoute', t.q)?.spec.parentRefs.some(p => p.kind === 'Gateway')) {
      sink.warn(policy.source, t.path, 'NOT_AT_GATEWAY',
        `HTTPRoute "${t.ref.name}" is attached to no Gateway; a SecurityPolicy acts only at Gateways, so this one does nothing`,
        'attach the policy to a Gateway, or to an HTTPRoute whose parentRefs name a Gateway')
      continue
    }
    const map = isGateway ? into.gateways : into.routes
    const key = isGateway && t.ref.sectionName !== undefined ? `${t.q}#${t.ref.sectionName}` : t.q
    const winner = map[key]
    if (winner) {
      sink.warn(policy.source, t.path, 'POLICY_CONFLICT',
        `${t.ref.kind} "${t.ref.name}"${t.ref.sectionName ? ` (listener ${t.ref.sectionName})` : ''} already has SecurityPolicy "${winner.policy}"; this one is ignored for it`,
        'attach one SecurityPolicy per target (the first by namespace/name wins)')
      continue
    }
    if (!attached) { ir = shareAuditFile(sink, policy, ir, auditFiles); attached = true }
    map[key] = ir
  }
}

/** One file, one rotation: a policy writing a file an earlier policy writes takes that policy's
 *  limits, with a warning when its own differ. */
function shareAuditFile(sink: DiagnosticSink, policy: ValidResource<SecurityPolicySpec>, ir: SecurityIR,
  auditFiles: Map<string, SecurityIR>): SecurityIR {
  if (ir.audit === null) return ir
  const first = auditFiles.get(ir.audit.file)
  if (!first?.audit) { auditFiles.set(ir.audit.file, ir); return ir }
  const a = first.audit
  if (a.maxSizeBytes !== ir.audit.maxSizeBytes || a.maxFiles !== ir.audit.maxFiles) {
    sink.warn(policy.source, ['spec', 'audit'], 'AUDIT_CONFLICT',
      `audit file "${policy.spec.audit!.file}" is also written by SecurityPolicy "${first.policy}", whose rotation applies to it: maxSizeBytes ${a.maxSizeBytes}, maxFiles ${a.maxFiles}`,
      'give every policy writing one audit file the same maxSizeBytes and maxFiles (the first by namespace/name wins)')
  }
  return { ...ir, audit: a }
}

/** Adds a policy's IR at each resolved target (`ns/name`, or `ns/name#listener` for one Gateway
 *  listener), merged with what other policies put there. */
function mergeInto<T>(
  into: { services: Record<string, T>; gateways: Record<string, T>; routes: Record<string, T> },
  targets: readonly { ref: TargetRef; q: string | null }[], ir: T, merge: (list: (T | undefined)[]) => T | null,
): void {
  for (const t of targets) {
    if (t.q === null) continue
    const table = t.ref.kind === 'Service' ? into.services : t.ref.kind === 'Gateway' ? into.gateways : into.routes
    const key = t.ref.kind === 'Gateway' && t.ref.sectionName !== undefined ? `${t.q}#${t.ref.sectionName}` : t.q
    table[key] = merge([table[key], ir])!
  }
}

/** Keys in sorted order, so the IR is the same whatever order the documents came in. */
function sortKeys<T>(t: { services: Record<string, T>; gateways: Record<string, T>; routes: Record<string, T> }) {
  return { services: sortedRecord(t.services), gateways: sortedRecord(t.gateways), routes: sortedRecord(t.routes) }
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map(k => [k, r[k]]))
}
