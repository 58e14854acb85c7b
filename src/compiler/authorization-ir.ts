// AuthorizationPolicy → AuthorizationIR: identities resolved to what proxies compare (SPIFFE IDs in
// the mesh's trust domain), paths lower-cased without a trailing slash, policies of one target merged.
import type { AuthorizationIR, AuthzRuleIR } from '../ir/authorization.js'
import type { AuthorizationPolicySpec } from '../resources/authorization-policy.js'
import { spiffeId } from '../identity/spiffe.js'
import { asciiLower } from '../lib/ascii-lower.js'

/**
 * How a policy names callers: a SPIFFE ID as is; `anonymous` and `gateway:<consumer>` (a Gateway's
 * callers) as is; `gateway` = every Gateway proxy of the policy's namespace; `ns/name` a Workload
 * identity in that namespace; `name` one in the policy's namespace.
 */
export function identityPattern(entry: string, namespace: string, trustDomain: string): string {
  if (entry.startsWith('spiffe://') || entry === 'anonymous' || entry.startsWith('gateway:')) return entry
  if (entry === 'gateway') return `${spiffeId(trustDomain, namespace, 'gateway-')}*`
  const slash = entry.indexOf('/')
  return slash > 0 ? spiffeId(trustDomain, entry.slice(0, slash), entry.slice(slash + 1)) : spiffeId(trustDomain, namespace, entry)
}

export function normalizeAuthzPath(path: string): string {
  if (path === '*') return path
  const lower = asciiLower(path)                                  // as proxies compare
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower
}

export function compileAuthorizationPolicy(name: string, namespace: string, spec: AuthorizationPolicySpec, trustDomain: string): AuthorizationIR {
  const rules: AuthzRuleIR[] = spec.rules.map(r => ({
    identities: r.from ? [...new Set(r.from.flatMap(f => f.identities.map(i => identityPattern(i, namespace, trustDomain))))] : null,
    to: r.to ? r.to.map(t => ({ methods: t.methods ?? null, paths: t.paths ? t.paths.map(normalizeAuthzPath) : null })) : null,
  }))
  return spec.action === 'DENY' ? { policies: [name], deny: rules, allow: null } : { policies: [name], deny: [], allow: rules }
}
