// The compiled mesh: the hub from which every proxy snapshot (and later xDS) is projected.
import type { MeshSettingsIR } from './mesh.js'
import type { ServiceIR, WorkloadIR } from './service.js'
import type { GatewayIR } from './gateway.js'
import type { AuthorizationTargetsIR } from './authorization.js'
import type { RateLimitTargetsIR } from './rate-limit.js'
import type { SecurityTargetsIR } from './security.js'

export * from './common.js'
export * from './mesh.js'
export * from './route.js'
export * from './policy.js'
export * from './service.js'
export * from './gateway.js'
export * from './tcp.js'
export * from './client-traffic.js'
export * from './diagnostic.js'
export * from './authorization.js'
export * from './rate-limit.js'
export * from './security.js'

export interface MeshIR {
  readonly mesh: MeshSettingsIR
  readonly services: readonly ServiceIR[]   // sorted by name
  readonly workloads: readonly WorkloadIR[] // sorted by name
  readonly gateways: readonly GatewayIR[]   // sorted by name
  /** AuthorizationPolicies by target. */
  readonly authorization: AuthorizationTargetsIR
  /** RateLimitPolicies by target. */
  readonly rateLimits: RateLimitTargetsIR
  /** SecurityPolicies by target (one per target). */
  readonly security: SecurityTargetsIR
}
