// LeastRequest: power of two random choices on inflight requests (as Envoy). Comparing two random
// endpoints instead of scanning all of them is O(1) and avoids every proxy piling onto the same
// "least loaded" endpoint at once.
import { pickTwoChoices, type Balancer, type BalancerDeps } from './balancer.js'
import type { Pickable } from './endpoint-stats.js'

const inflightOf = (e: Pickable): number => e.stats.inflight

export class LeastRequestBalancer<T extends Pickable> implements Balancer<T> {
  private readonly endpoints: readonly T[]
  private readonly random: () => number

  constructor(endpoints: readonly T[], deps: BalancerDeps) {
    this.endpoints = endpoints
    this.random = deps.random
  }

  pick(_hashKey: string | null, avoid: T | null): T | null {
    if (this.endpoints.length === 0) return null
    return pickTwoChoices(this.endpoints, avoid, this.random, inflightOf)
  }
}
