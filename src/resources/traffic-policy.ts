// TrafficPolicy: how callers treat one Service (balancing, timeout, retries, limits, ejection, faults).
import { DEFAULT_CONNECTION_POOL } from '../ir/policy.js'
import { MAX_CONSECUTIVE_ERRORS, MAX_COUNT } from './bounds.js'
import { checkTargets, nonEmpty, targetFields } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import {
  bool, def, duration, int, INVALID, list, num, oneOf, opt, refine, scalar, show, type Infer,
} from './schema.js'

export const LOAD_BALANCERS = ['RoundRobin', 'Random', 'LeastRequest', 'EWMA', 'RingHash'] as const
export const RETRY_ON = [
  'connect-failure', 'reset', 'unavailable', '5xx', 'gateway-error', 'retriable-4xx',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted',
] as const

/** A retryOn condition: a name or an HTTP status (number or digits), kept as a string. */
const retryOnValue = () => {
  const expected = `one of ${RETRY_ON.join(', ')} or an HTTP status from 100 to 599`
  return scalar<string>(expected, (v, path, issues) => {
    const s = typeof v === 'number' ? String(v) : v
    if (typeof s === 'string' && ((RETRY_ON as readonly string[]).includes(s) || /^[1-5]\d\d$/.test(s))) return s
    issues.error(path, typeof v === 'string' ? 'INVALID_VALUE' : 'INVALID_TYPE', `${show(v)} is not valid`, `use ${expected}`)
    return INVALID
  })
}

const hashOn = refine(obj({ header: opt(nonEmpty()), cookie: opt(nonEmpty()), sourceIP: opt(bool()) }),
  (h, path, issues) => {
    const set = [h.header !== undefined, h.cookie !== undefined, h.sourceIP === true].filter(Boolean).length
    if (set !== 1) issues.error(path, 'INVALID_VALUE', 'hashOn needs exactly one of header, cookie or sourceIP: true')
  })

const loadBalancer = refine(obj({ type: oneOf(LOAD_BALANCERS), hashOn: opt(hashOn) }), (lb, path, issues) => {
  if (lb.hashOn && lb.type !== 'RingHash') {
    issues.error([...path, 'hashOn'], 'INVALID_VALUE', 'hashOn is only used with type RingHash', undefined, 'key')
  }
})

export const retriesSchema = obj({
  attempts: def(int(0, 100), 2),
  perTryTimeout: def(duration(), 0),
  retryOn: def(list(retryOnValue()), ['connect-failure', 'reset']),
  backoff: def(refine(obj({ base: def(duration(), 25), max: def(duration(), 250) }), (b, path, issues) => {
    if (b.max < b.base) issues.error([...path, 'max'], 'INVALID_VALUE', 'max must not be below base')
  }), { base: 25, max: 250 }),
  budget: def(obj({ percent: def(num(0, 100), 20), minRetriesPerSecond: def(int(0, MAX_COUNT), 10) }),
    { percent: 20, minRetriesPerSecond: 10 }),
})

/** Shorter would turn keep-alive off by accident; longer does not fit a timer. */
const MIN_IDLE_MS = 100
const MAX_IDLE_MS = 24 * 3600_000

/** Idle keep-alive connections to each instance: the warm one, and the surplus of a burst. */
const connectionPool = refine(obj({ idleTimeout: def(duration(), DEFAULT_CONNECTION_POOL.idleTimeoutMs), surplusIdleTimeout: opt(duration()) }),
  (p, path, issues) => {
    const surplus = p.surplusIdleTimeout
    const bad = (ms: number) => ms < MIN_IDLE_MS || ms > MAX_IDLE_MS
    if (bad(p.idleTimeout)) issues.error([...path, 'idleTimeout'], 'INVALID_VALUE', 'idleTimeout must be from 100ms to 24h')
    else if (surplus !== undefined && bad(surplus)) issues.error([...path, 'surplusIdleTimeout'], 'INVALID_VALUE', 'surplusIdleTimeout must be from 100ms to 24h')
    else if (surplus !== undefined && surplus > p.idleTimeout) {
      issues.error([...path, 'surplusIdleTimeout'], 'INVALID_VALUE', 'surplusIdleTimeout must not be above idleTimeout')
    }
  })

export const trafficPolicySpec = refine(obj({
  ...targetFields(['Service', 'HTTPRoute', 'GRPCRoute']),
  loadBalancer: opt(loadBalancer),
  timeout: opt(duration()),
  retries: opt(retriesSchema),
  circuitBreaker: opt(obj({
    maxConnections: def(int(1, MAX_COUNT), 1024), maxPendingRequests: def(int(0, MAX_COUNT), 1024), maxRequests: def(int(1, MAX_COUNT), 1024),
  })),
  connectionPool: opt(connectionPool),
  outlierDetection: opt(obj({
    consecutiveErrors: def(int(1, MAX_CONSECUTIVE_ERRORS), 5),
    interval: def(duration(), 5000),
    baseEjectionTime: def(duration(), 30_000),
    maxEjectionPercent: def(int(0, 100), 50),
  })),
  faultInjection: opt(obj({
    delay: opt(obj({ percent: num(0, 100), duration: duration() })),
    abort: opt(obj({ percent: num(0, 100), status: int(200, 599), grpcStatus: opt(int(1, 16)) })),
  })),
}), checkTargets)
export type TrafficPolicySpec = Infer<typeof trafficPolicySpec>

registerKind({ kind: 'TrafficPolicy', apiVersion: TRELLIS_V1ALPHA1, spec: trafficPolicySpec })
