// Random: a uniformly random endpoint per request. No shared state, so no coordination cost.
import { randomAvoiding, type Balancer, type BalancerDeps } from './balancer.js'
import type { Pickable } from './endpoint-stats.js'

export class RandomBalancer<T extends Pickable> implements Balancer<T> {
  private readonly endpoints: readonly T[]
  private readonly random: () => number

  constructor(endpoints: readonly T[], deps: BalancerDeps) {
    this.endpoints = endpoints
    this.random = deps.random
  }

  pick(_hashKey: string | null, avoid: T | null): T | null {
    if (this.endpoints.length === 0) return null
    return randomAvoiding(this.endpoints, avoid, this.random)
  }
}
