// The load-balancer contract shared by every algorithm, plus small helpers they share.
// Balancers are rebuilt whenever the eligible endpoint list changes; they hold no per-endpoint
// state of their own (that lives in EndpointStats) so rebuilding is cheap.
import type { Pickable } from './endpoint-stats.js'

export interface Balancer<T extends Pickable> {
  /**
   * Picks an endpoint, or null when there are none. `hashKey` is only used by hashing balancers
   * (null = no key: pick at random). `avoid` is an endpoint to skip if any other is available
   * (the one that just failed, on a retry).
   */
  pick(hashKey: string | null, avoid: T | null): T | null
}

/** Randomness and time, injectable so tests are deterministic. */
export interface BalancerDeps {
  /** Uniform in [0, 1). */
  readonly random: () => number
  /** Monotonic ms, the same clock EndpointStats is fed with. */
  readonly now: () => number
}

export class EmptyBalancer<T extends Pickable> implements Balancer<T> {
  pick(): T | null { return null }
}

/** A uniformly random endpoint, never `avoid` unless it is the only one. `endpoints` non-empty. */
export function randomAvoiding<T extends Pickable>(endpoints: readonly T[], avoid: T | null,
    random: () => number): T {
  const n = endpoints.length
  let i = (random() * n) | 0
  if (n > 1 && endpoints[i] === avoid) {
    // Uniform over the other n-1: step 1..n-1 places forward.
    i = (i + 1 + ((random() * (n - 1)) | 0)) % n
  }
  return endpoints[i]
}

/**
 * Power of two choices: draws two distinct endpoints and keeps the cheaper by `cost`.
 * An `avoid`ed endpoint loses to any other. `endpoints` non-empty.
 */
export function pickTwoChoices<T extends Pickable>(endpoints: readonly T[], avoid: T | null,
    random: () => number, cost: (e: T) => number): T {
  const n = endpoints.length
  if (n === 1) return endpoints[0]
  const a = (random() * n) | 0
  let b = (random() * (n - 1)) | 0
  if (b >= a) b++
  const ea = endpoints[a], eb = endpoints[b]
  if (ea === avoid) return eb
  if (eb === avoid) return ea
  return cost(eb) < cost(ea) ? eb : ea
}
