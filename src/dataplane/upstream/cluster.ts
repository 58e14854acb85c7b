// Everything a proxy needs to reach one Service: its endpoints (kept across updates), the balancer
// over those eligible (healthy, not ejected — or all of them when none is: panic routing), and the
// per-destination resilience state: retry budget, circuit breaker, outlier detection, health checks.
import type { ClusterIR } from '../../snapshot/types.js'
import { DEFAULT_CONNECTION_POOL, type TrafficPolicyIR } from '../../ir/index.js'
import { buildBalancer } from '../balance/registry.js'
import type { Balancer } from '../balance/balancer.js'
import { CircuitBreaker } from '../resilience/circuit-breaker.js'
import { OutlierDetector } from '../resilience/outlier-detector.js'
import { RetryBudget } from '../resilience/retry-budget.js'
import { DEFAULT_RETRY, RetryPolicy } from '../resilience/retry-policy.js'
import type { MeshCertificate } from '../mtls/mesh-certificate.js'
import { Endpoint } from './endpoint.js'
import { HealthChecker } from './health-checker.js'

export class Cluster {
  endpoints: Endpoint[] = []
  policy: TrafficPolicyIR
  /** http and tcp: HTTP/1.1 upstream connections; http2 and grpc: h2c. */
  protocol: ClusterIR['protocol'] = 'http'
  retry: RetryPolicy = DEFAULT_RETRY
  budget: RetryBudget
  breaker: CircuitBreaker | null = null
  outliers: OutlierDetector | null = null
  private health: HealthChecker | null = null
  private balancer: Balancer<Endpoint>
  /** True while no endpoint is eligible and traffic is spread over all of them. */
  panic = false
  /** Retries sent to this Service (the budget counts refusals). */
  retries = 0
  /** Request mirror copies to this Service still open, and those not sent because too many were. */
  mirrorsInFlight = 0
  mirrorsSkipped = 0
  private readonly byKey = new Map<string, Endpoint>()
  private budgetKey = ''
  /** Upstream HTTP/1.1 sockets opened to endpoints no longer listed (keeps the total monotonic). */
  private openedByRetired = 0

  /** `certificate`: this proxy's mesh identity, for endpoints reached over mTLS. */
  constructor(readonly service: string, ir: ClusterIR, private readonly certificate: MeshCertificate | null = null) {
    this.policy = ir.policy
    this.balancer = buildBalancer(ir.policy.loadBalancer, [])
    this.budget = new RetryBudget(20, 10)
    this.update(ir)
  }

  /** Applies a new endpoint list and policy, reusing Endpoint objects (and their state) by address. */
  update(ir: ClusterIR): void {
    const p = ir.policy
    this.policy = p
    this.protocol = ir.protocol
    this.retry = p.retries ? new RetryPolicy(p.retries) : DEFAULT_RETRY
    const budgetKey = `${this.retry.budgetPercent}/${this.retry.budgetMinPerSecond}`
    if (budgetKey !== this.budgetKey) { this.budget = new RetryBudget(this.retry.budgetPercent, this.retry.budgetMinPerSecond); this.budgetKey = budgetKey }
    if (p.circuitBreaker) { if (this.breaker) this.breaker.update(p.circuitBreaker); else this.breaker = new CircuitBreaker(p.circuitBreaker) }
    else this.breaker = null
    if (p.outlierDetection) { if (this.outliers) this.outliers.cfg = p.outlierDetection; else this.outliers = new OutlierDetector(p.outlierDetection, () => this.rebalance()) }
    else this.outliers = null
    const pool = p.connectionPool ?? DEFAULT_CONNECTION_POOL      // null (or absent, from an older control plane): the defaults
    const next: Endpoint[] = []
    const seen = new Set<string>()
    for (const e of ir.endpoints) {
      let ep = this.byKey.get(e.address)
      const identity = this.certificate ? e.identity ?? null : null
      if (ep && !ep.retired && (ep.peer?.identity ?? null) !== identity) this.retire(ep)   // mTLS switched on/off, or another identity
      if (!ep || ep.retired) {
        ep = new Endpoint(e.address, e.instance, identity !== null ? { certificate: this.certificate!, identity } : null)
        this.byKey.set(e.address, ep)
      }
      ep.setIdleTimeouts(pool.idleTimeoutMs, pool.surplusIdleTimeoutMs)
      ep.meshProxy = e.mesh === true
      seen.add(e.address)
      next.push(ep)
    }
    for (const [key, ep] of this.byKey) {
      if (!seen.has(key)) { this.retire(ep); this.byKey.delete(key) }
    }
    this.endpoints = next
    if (ir.healthCheck) {
      if (!this.health) this.health = new HealthChecker(ir.healthCheck, () => this.rebalance(), ir.protocol)
      else { this.health.cfg = ir.healthCheck; this.health.protocol = ir.protocol }
      this.health.track(next)
    } else if (this.health) {
      this.health.stop()
      this.health = null
      for (const ep of next) ep.healthy = true
    }
    // Outlier detection switched off: what it ejected comes back now, not when its timers end.
    if (!p.outlierDetection) for (const ep of next) if (ep.ejectedUntil > 0) ep.readmit()
    this.rebalance()
  }

  /** Rebuilds the balancer over the eligible endpoints (state lives on the endpoints). */
  rebalance(): void {
    const eligible = this.endpoints.filter(e => e.eligible)
    this.panic = eligible.length === 0 && this.endpoints.length > 0
    this.balancer = buildBalancer(this.policy.loadBalancer, this.panic ? this.endpoints : eligible)
  }

  pick(hashKey: string | null, avoid: Endpoint | null): Endpoint | null {
    return this.balancer.pick(hashKey, avoid)
  }

  /** Feeds passive health with one attempt's outcome. */
  record(ep: Endpoint, ok: boolean): void {
    if (this.outliers) this.outliers.record(ep, ok, this.endpoints)
  }

  /** HTTP/1.1 sockets opened to this Service's endpoints over the proxy's life. */
  get connectionsOpened(): number {
    let n = this.openedByRetired
    for (const ep of this.byKey.values()) n += ep.h1.opened
    return n
  }

  /** Idle keep-alive HTTP/1.1 sockets to this Service's endpoints now. */
  get connectionsIdle(): number {
    let n = 0
    for (const ep of this.byKey.values()) n += ep.h1.idleCount
    return n
  }

  private retire(ep: Endpoint): void {
    this.openedByRetired += ep.h1.opened
    ep.retire()
  }

  close(): void {
    this.health?.stop()
    for (const ep of this.byKey.values()) this.retire(ep)
    this.byKey.clear()
    this.endpoints = []
  }
}
