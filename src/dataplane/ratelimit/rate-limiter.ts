// RateLimitPolicy at one enforcement point (a listener or a route): every limit is a token bucket
// per key value, in this proxy or in Redis. Buckets live in RateLimitState, which outlives
// snapshots, so an applied config change does not reset anyone's budget.
import type { RateLimitIR, RateLimitsIR } from '../../ir/rate-limit.js'
import type { Exchange } from '../exchange.js'
import { ProxyError, respondError } from '../errors.js'
import { LocalBuckets } from './token-bucket.js'
import { RedisBuckets } from './redis-buckets.js'
import { escapeLabelValue } from '../../telemetry/proxy-metrics.js'
import { HEALTH_CHECK_USER_AGENT, type HealthCheckRequest } from '../upstream/health-check-request.js'

/** One proxy's buckets: local ones and a Redis client per store URL. */
export class RateLimitState {
  readonly local = new LocalBuckets()
  private readonly redis = new Map<string, RedisBuckets>()
  limited = 0

  constructor(private readonly log: (line: string) => void) {}

  redisFor(url: string): RedisBuckets {
    let r = this.redis.get(url)
    if (!r) { r = new RedisBuckets(url, this.log); this.redis.set(url, r) }
    return r
  }

  get fallbacks(): number { let n = 0; for (const r of this.redis.values()) n += r.fallbacks; return n }

  close(): void { for (const r of this.redis.values()) r.close() }

  metricsText(): string {
    return [
      '# HELP trellis_rate_limited_total Requests refused by a RateLimitPolicy.', '# TYPE trellis_rate_limited_total counter',
      `trellis_rate_limited_total ${this.limited}`,
      '# HELP trellis_rate_limit_redis_ready 1 while the Redis store answers.', '# TYPE trellis_rate_limit_redis_ready gauge',
      ...[...this.redis.values()].map(r => `trellis_rate_limit_redis_ready{store="${escapeLabelValue(r.shown)}"} ${r.ready ? 1 : 0}`),
      '# HELP trellis_rate_limit_redis_fallbacks_total Decisions made by local buckets because Redis did not answer.',
      '# TYPE trellis_rate_limit_redis_fallbacks_total counter', `trellis_rate_limit_redis_fallbacks_total ${this.fallbacks}`,
    ].join('\n') + '\n'
  }
}

interface CompiledLimit { readonly ir: RateLimitIR; readonly header: string | null; readonly redis: RedisBuckets | null }

export class RateLimiter {
  private readonly limits: CompiledLimit[]

  /**
   * `healthCheck`: at a sidecar's inbound port, the check callers' proxies send to the Services it
   * serves. From an authenticated mesh caller it is not counted: callers check every instance each
   * interval, and would otherwise be limited by their own checks (and see the checks fail with 429).
   */
  constructor(ir: RateLimitsIR, private readonly state: RateLimitState, private readonly healthCheck: HealthCheckRequest | null = null) {
    this.limits = ir.limits.map(l => ({
      ir: l, header: l.key.startsWith('header:') ? l.key.slice(7) : null, redis: l.store === 'local' ? null : state.redisFor(l.store),
    }))
  }

  /**
   * Takes a token from every limit that counts this request; `done(0)` when all had one, else
   * `done(ms until retry)`. `caller`: the authenticated caller (mTLS identity, gateway consumer), the
   * `consumer` key; without one the client address stands in. Local-only limits answer synchronously.
   */
  admit(x: Exchange, caller: string | null, done: (waitMs: number) => void): void {
    if (caller !== null && this.healthCheck !== null && this.isHealthCheck(x)) { done(0); return }
    this.next(0, x, caller !== null && caller !== 'anonymous' ? caller : x.client, 0, done)
  }

  private isHealthCheck(x: Exchange): boolean {
    const hc = this.healthCheck!
    return x.path === hc.path && x.req.method === hc.method && x.req.headers['user-agent'] === HEALTH_CHECK_USER_AGENT
  }

  private next(i: number, x: Exchange, consumer: string, wait: number, done: (waitMs: number) => void): void {
    for (; i < this.limits.length; i++) {
      const l = this.limits[i]
      const value = l.header !== null ? headerValue(x, l.header) : l.ir.key === 'ip' ? x.client : consumer
      if (value === null) continue                       // no such header: this limit does not count the request
      const key = `${l.ir.bucket}|${value}`
      if (l.redis !== null) {
        const at = i
        l.redis.take(key, l.ir.requests, l.ir.perMs, w => {
          const waited = w ?? this.state.local.take(key, l.ir.bucket, l.ir.requests, l.ir.perMs, Date.now())
          this.next(at + 1, x, consumer, Math.max(wait, waited), done)
        })
        return
      }
      wait = Math.max(wait, this.state.local.take(key, l.ir.bucket, l.ir.requests, l.ir.perMs, Date.now()))
    }
    if (wait > 0) this.state.limited++
    done(wait)
  }
}

function headerValue(x: Exchange, name: string): string | null {
  const v = x.req.headers[name]
  return v === undefined ? null : Array.isArray(v) ? v.join(',') : v
}

/** Limiters by route name, for a route table's build context. */
export function routeLimiters(byRoute: Readonly<Record<string, RateLimitsIR>>, state: RateLimitState): Map<string, RateLimiter> {
  return new Map(Object.entries(byRoute).map(([route, ir]) => [route, new RateLimiter(ir, state)]))
}

/** 429 with retry-after (whole seconds, at least 1). */
export function rateLimited(x: Exchange, waitMs: number): void {
  if (!x.res.headersSent) x.res.setHeader('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
  respondError(x.res, new ProxyError('rate_limited', `rate limit reached; retry in ${Math.ceil(waitMs)} ms`))
  x.req.resume()
}
