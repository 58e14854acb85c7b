// RoundRobin: each endpoint in turn. The start offset is random (once, at build), so proxies that
// rebuild at the same moment do not all hit the same first endpoint.
import type { Balancer, BalancerDeps } from './balancer.js'
import type { Pickable } from './endpoint-stats.js'

export class RoundRobinBalancer<T extends Pickable> implements Balancer<T> {
  private readonly endpoints: readonly T[]
  private next: number

  constructor(endpoints: readonly T[], deps: BalancerDeps) {
    this.endpoints = endpoints
    this.next = endpoints.length === 0 ? 0 : (deps.random() * endpoints.length) | 0
  }

  pick(_hashKey: string | null, avoid: T | null): T | null {
    const n = this.endpoints.length
    if (n === 0) return null
    let e = this.endpoints[this.next]
    this.next = this.next + 1 === n ? 0 : this.next + 1
    if (e === avoid && n > 1) {
      e = this.endpoints[this.next]
      this.next = this.next + 1 === n ? 0 : this.next + 1
    }
    return e
  }
}
