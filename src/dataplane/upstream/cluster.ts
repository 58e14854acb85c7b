// Everything a proxy needs to reach one Service: its endpoints (kept across updates) and a balancer.
import type { ClusterIR } from '../../snapshot/types.js'
import type { TrafficPolicyIR } from '../../ir/index.js'
import { buildBalancer } from '../balance/registry.js'
import type { Balancer } from '../balance/balancer.js'
import { Endpoint } from './endpoint.js'

export class Cluster {
  endpoints: Endpoint[] = []
  private balancer: Balancer<Endpoint>
  policy: TrafficPolicyIR
  private readonly byKey = new Map<string, Endpoint>()

  constructor(readonly service: string, ir: ClusterIR) {
    this.policy = ir.policy
    this.balancer = buildBalancer(ir.policy.loadBalancer, [])
    this.update(ir)
  }

  /** Applies a new endpoint list and policy, reusing Endpoint objects by address. */
  update(ir: ClusterIR): void {
    this.policy = ir.policy
    const next: Endpoint[] = []
    const seen = new Set<string>()
    for (const e of ir.endpoints) {
      let ep = this.byKey.get(e.address)
      if (!ep || ep.retired) { ep = new Endpoint(e.address, e.instance); this.byKey.set(e.address, ep) }
      seen.add(e.address)
      next.push(ep)
    }
    for (const [key, ep] of this.byKey) {
      if (!seen.has(key)) { ep.retire(); this.byKey.delete(key) }
    }
    this.endpoints = next
    this.balancer = buildBalancer(ir.policy.loadBalancer, next)
  }

  pick(hashKey: string | null, avoid: Endpoint | null): Endpoint | null {
    return this.balancer.pick(hashKey, avoid)
  }

  close(): void {
    for (const ep of this.byKey.values()) ep.retire()
    this.byKey.clear()
    this.endpoints = []
  }
}
