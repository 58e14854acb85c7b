// RateLimitPolicy, compiled: per target, every limit of every policy attached to it. Each limit is
// its own token bucket per key value; `bucket` names it the same way in every proxy (Redis shares it).
import type { QualifiedName } from './common.js'
import type { PolicyTargetsIR } from './policy-targets.js'

export interface RateLimitIR {
  readonly bucket: string                 // `<policy>#<index>`: the same in every proxy
  readonly key: string                    // consumer | ip | header:<lower-case name>
  readonly requests: number               // burst, and tokens added per `perMs`
  readonly perMs: number
  readonly store: string                  // local | redis://host:port[/db]
}

export interface RateLimitsIR {
  readonly policies: readonly QualifiedName[]
  readonly limits: readonly RateLimitIR[]
}

export type RateLimitTargetsIR = PolicyTargetsIR<RateLimitsIR>

export const NO_RATE_LIMITS: RateLimitTargetsIR = { services: {}, gateways: {}, routes: {} }

export function mergeRateLimits(list: readonly (RateLimitsIR | null | undefined)[]): RateLimitsIR | null {
  const present = list.filter((r): r is RateLimitsIR => !!r)
  if (present.length === 0) return null
  if (present.length === 1) return present[0]
  return { policies: [...new Set(present.flatMap(r => r.policies))].sort(), limits: present.flatMap(r => r.limits) }
}
