// AuthorizationPolicy, compiled: per target, the DENY rules and the ALLOW rules of every policy
// attached to it. Identities are SPIFFE IDs, `anonymous` or `gateway:<consumer>`; a trailing `*`
// makes one a prefix (`gateway` in a policy stands for every Gateway proxy of its namespace).
import type { QualifiedName } from './common.js'
import type { PolicyTargetsIR } from './policy-targets.js'

export interface AuthzRequestMatchIR {
  readonly methods: readonly string[] | null   // null: any method
  readonly paths: readonly string[] | null     // lower-cased, trailing slash removed; `/x/*` below /x; `*` any
}

export interface AuthzRuleIR {
  readonly identities: readonly string[] | null // null: any caller (also one without an identity)
  readonly to: readonly AuthzRequestMatchIR[] | null // null: any request
}

export interface AuthorizationIR {
  readonly policies: readonly QualifiedName[]  // the policies merged here, for messages
  readonly deny: readonly AuthzRuleIR[]
  /** Null: no ALLOW policy, so what is not denied is allowed. Else a request must match one rule. */
  readonly allow: readonly AuthzRuleIR[] | null
}

export type AuthorizationTargetsIR = PolicyTargetsIR<AuthorizationIR>

export const NO_AUTHORIZATION: AuthorizationTargetsIR = { services: {}, gateways: {}, routes: {} }

/** Several targets' policies as one (a sidecar serving two Services, a Gateway and its listener). */
export function mergeAuthorization(list: readonly (AuthorizationIR | null | undefined)[]): AuthorizationIR | null {
  const present = list.filter((a): a is AuthorizationIR => !!a)
  if (present.length === 0) return null
  if (present.length === 1) return present[0]
  const allows = present.filter(a => a.allow !== null)
  return {
    policies: [...new Set(present.flatMap(a => a.policies))].sort(),
    deny: present.flatMap(a => a.deny),
    allow: allows.length === 0 ? null : allows.flatMap(a => a.allow!),
  }
}
