// Per-destination traffic policy (TrafficPolicy on a Service), with defaults filled in.
export type LoadBalancerType = 'RoundRobin' | 'Random' | 'LeastRequest' | 'EWMA' | 'RingHash'

export interface HashOnIR {
  readonly header: string | null          // lower-cased header name
  readonly cookie: string | null
  readonly sourceIP: boolean
}

export interface LoadBalancerIR { readonly type: LoadBalancerType; readonly hashOn: HashOnIR | null }

export interface RetryIR {
  readonly attempts: number               // retries after the first try
  readonly perTryTimeoutMs: number        // 0 = none
  readonly retryOn: readonly string[]     // connect-failure, reset, unavailable, 5xx, gateway-error, retriable-4xx, '503', gRPC names
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly budgetPercent: number          // default 20
  readonly budgetMinRetriesPerSecond: number // default 10
}

export interface CircuitBreakerIR {
  readonly maxConnections: number
  readonly maxPendingRequests: number
  readonly maxRequests: number
}

export interface ConnectionPoolIR {
  readonly idleTimeoutMs: number          // the endpoint's warm idle socket
  readonly surplusIdleTimeoutMs: number   // every other idle socket
}

/** Without a TrafficPolicy connectionPool: 60 s for the warm socket, 3 s (Linkerd's) for the surplus. */
export const DEFAULT_CONNECTION_POOL: ConnectionPoolIR = { idleTimeoutMs: 60_000, surplusIdleTimeoutMs: 3_000 }

export interface OutlierDetectionIR {
  readonly consecutiveErrors: number
  readonly intervalMs: number
  readonly baseEjectionTimeMs: number
  readonly maxEjectionPercent: number
}

export interface FaultInjectionIR {
  readonly delay: { readonly percent: number; readonly durationMs: number } | null
  /** `grpcStatus` answers gRPC requests; null: the gRPC status `status` maps to (grpc-status.ts). */
  readonly abort: { readonly percent: number; readonly status: number; readonly grpcStatus: number | null } | null
}

export interface TrafficPolicyIR {
  readonly loadBalancer: LoadBalancerIR   // default LeastRequest
  readonly timeoutMs: number | null       // null = not set (on a route: the Service's applies); 0 = none
  readonly retries: RetryIR | null
  readonly circuitBreaker: CircuitBreakerIR | null
  readonly connectionPool: ConnectionPoolIR | null   // null: 60 s warm, 3 s surplus
  readonly outlierDetection: OutlierDetectionIR | null
  readonly faultInjection: FaultInjectionIR | null
}

export const DEFAULT_TRAFFIC_POLICY: TrafficPolicyIR = {
  loadBalancer: { type: 'LeastRequest', hashOn: null },
  timeoutMs: null,
  retries: null,
  circuitBreaker: null,
  connectionPool: null,
  outlierDetection: null,
  faultInjection: null,
}
