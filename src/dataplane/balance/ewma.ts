// EWMA: power of two random choices on peak-EWMA cost = latency estimate × (inflight + 1), as in
// Finagle and Linkerd. Reacts to an endpoint getting slow before it starts failing.
import type { Balancer, BalancerDeps } from './balancer.js'
import type { Pickable } from './endpoint-stats.js'

export class EwmaBalancer<T extends Pickable> implements Balancer<T> {
  private readonly endpoints: readonly T[]
  private readonly random: () => number
  private readonly now: () => number

  constructor(endpoints: readonly T[], deps: BalancerDeps) {
    this.endpoints = endpoints
    this.random = deps.random
    this.now = deps.now
  }

  pick(_hashKey: string | null, avoid: T | null): T | null {
    const endpoints = this.endpoints, n = endpoints.length
    if (n === 0) return null
    if (n === 1) return endpoints[0]
    // Inlined P2C (rather than pickTwoChoices) so the cost needs no per-pick closure over `now`.
    const a = (this.random() * n) | 0
    let b = (this.random() * (n - 1)) | 0
    if (b >= a) b++
    const ea = endpoints[a], eb = endpoints[b]
    if (ea === avoid) return eb
    if (eb === avoid) return ea
    const now = this.now()
    const ca = ea.stats.latency.cost(now, ea.stats.inflight)
    const cb = eb.stats.latency.cost(now, eb.stats.inflight)
    return cb < ca ? eb : ea
  }
}
