// Builds the balancer a LoadBalancerIR asks for. A typed record (not a switch): adding a
// LoadBalancerType without a factory here is a compile error.
import type { LoadBalancerIR, LoadBalancerType } from '../../ir/policy.js'
import { EmptyBalancer, type Balancer, type BalancerDeps } from './balancer.js'
import type { Pickable } from './endpoint-stats.js'
import { nowMs } from '../../lib/monotonic-clock.js'
import { EwmaBalancer } from './ewma.js'
import { LeastRequestBalancer } from './least-request.js'
import { RandomBalancer } from './random.js'
import { RingHashBalancer } from './ring-hash.js'
import { RoundRobinBalancer } from './round-robin.js'

type Factory = <T extends Pickable>(endpoints: readonly T[], deps: BalancerDeps) => Balancer<T>

const factories: Readonly<Record<LoadBalancerType, Factory>> = {
  RoundRobin: (endpoints, deps) => new RoundRobinBalancer(endpoints, deps),
  Random: (endpoints, deps) => new RandomBalancer(endpoints, deps),
  LeastRequest: (endpoints, deps) => new LeastRequestBalancer(endpoints, deps),
  EWMA: (endpoints, deps) => new EwmaBalancer(endpoints, deps),
  RingHash: (endpoints, deps) => new RingHashBalancer(endpoints, deps),
}

export const BALANCER_TYPES: readonly LoadBalancerType[] = Object.keys(factories) as LoadBalancerType[]

/**
 * Builds a balancer over `endpoints` (the eligible ones; the array must not be mutated afterwards).
 * Call again whenever the eligible list changes; stats on the endpoints carry over.
 */
export function buildBalancer<T extends Pickable>(cfg: LoadBalancerIR, endpoints: readonly T[],
    random: () => number = Math.random, now: () => number = nowMs): Balancer<T> {
  if (endpoints.length === 0) return new EmptyBalancer<T>()
  const factory = factories[cfg.type]
  if (factory === undefined) {
    throw new Error(`unknown load balancer type ${String(cfg.type)}`, { cause: cfg })
  }
  return factory(endpoints, { random, now })
}
