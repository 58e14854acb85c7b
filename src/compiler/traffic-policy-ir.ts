// A TrafficPolicy spec → TrafficPolicyIR with every default filled in.
import { DEFAULT_CONNECTION_POOL, DEFAULT_TRAFFIC_POLICY, type LoadBalancerIR, type TrafficPolicyIR } from '../ir/policy.js'
import type { TrafficPolicySpec } from '../resources/traffic-policy.js'

function loadBalancer(lb: TrafficPolicySpec['loadBalancer']): LoadBalancerIR {
  if (!lb) return DEFAULT_TRAFFIC_POLICY.loadBalancer
  if (lb.type !== 'RingHash') return { type: lb.type, hashOn: null }
  const h = lb.hashOn
  return {
    type: 'RingHash',
    hashOn: h
      ? { header: h.header?.toLowerCase() ?? null, cookie: h.cookie ?? null, sourceIP: h.sourceIP === true }
      : { header: null, cookie: null, sourceIP: true },
  }
}

export function compileTrafficPolicy(spec: TrafficPolicySpec): TrafficPolicyIR {
  const r = spec.retries, cb = spec.circuitBreaker, od = spec.outlierDetection, fi = spec.faultInjection, cp = spec.connectionPool
  return {
    loadBalancer: loadBalancer(spec.loadBalancer),
    timeoutMs: spec.timeout ?? null,
    retries: r ? {
      attempts: r.attempts,
      perTryTimeoutMs: r.perTryTimeout,
      retryOn: [...r.retryOn],
      backoffBaseMs: r.backoff.base,
      backoffMaxMs: r.backoff.max,
      budgetPercent: r.budget.percent,
      budgetMinRetriesPerSecond: r.budget.minRetriesPerSecond,
    } : null,
    circuitBreaker: cb ? { maxConnections: cb.maxConnections, maxPendingRequests: cb.maxPendingRequests, maxRequests: cb.maxRequests } : null,
    connectionPool: cp ? { idleTimeoutMs: cp.idleTimeout, surplusIdleTimeoutMs: cp.surplusIdleTimeout ?? Math.min(DEFAULT_CONNECTION_POOL.surplusIdleTimeoutMs, cp.idleTimeout) } : null,
    outlierDetection: od ? {
      consecutiveErrors: od.consecutiveErrors,
      intervalMs: od.interval,
      baseEjectionTimeMs: od.baseEjectionTime,
      maxEjectionPercent: od.maxEjectionPercent,
    } : null,
    faultInjection: fi ? {
      delay: fi.delay ? { percent: fi.delay.percent, durationMs: fi.delay.duration } : null,
      abort: fi.abort ? { percent: fi.abort.percent, status: fi.abort.status, grpcStatus: fi.abort.grpcStatus ?? null } : null,
    } : null,
  }
}
