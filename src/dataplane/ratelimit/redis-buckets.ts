// Token buckets shared through Redis: one atomic script per request takes a token, timed by the
// Redis server's clock so every proxy sharing the bucket agrees. The client is made on first use
// (the `ioredis` module is loaded only then); while Redis is unreachable or slow the caller falls
// back to its local bucket, so a Redis outage never fails or blocks requests. It connects as soon
// as a snapshot names the store, so traffic rarely meets a client that is still connecting.
import type { Redis } from 'ioredis'

const TAKE = `
local cap = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1]) or cap
local at = tonumber(v[2]) or now
if now > at then tokens = math.min(cap, tokens + (now - at) * cap / per) else now = at end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * per / cap) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(per * 2))
return wait`

/** Pause between PINGs to a Redis that stopped answering. */
const STALL_RECHECK_MS = 500

type TakingRedis = Redis & { trellisTake(key: string, cap: number, per: number): Promise<number> }

export class RedisBuckets {
  private client: TakingRedis | null = null
  private connecting: Promise<void> | null = null
  /** Requests decided by the local fallback because Redis did not answer. */
  fallbacks = 0
  private closed = false
  /**
   * Set when a command failed on a connection that still looks open (a hung or overloaded Redis):
   * requests then use local limits at once, rather than each waiting out the command timeout and
   * queueing more commands, until a PING answers again.
   */
  private stalled = false
  private stallTimer: NodeJS.Timeout | null = null

  /** The URL as logs and /metrics show it: without a password, which the URL may carry
   *  (redis://:PASSWORD@HOST:PORT) and the client uses, but which must not leak to a scrape. */
  readonly shown: string

  constructor(readonly url: string, private readonly log: (line: string) => void) {
    this.shown = withoutCredentials(url)
    this.connect()
  }

  get ready(): boolean { return this.client?.status === 'ready' && !this.stalled }

  /** Calls back with the wait in ms (0 = allowed), or null when Redis could not decide. */
  take(key: string, requests: number, perMs: number, done: (waitMs: number | null) => void): void {
    const c = this.client
    if (c === null || c.status !== 'ready' || this.stalled) { this.connect(); this.fallbacks++; done(null); return }
    c.trellisTake(`trellis:rl:${key}`, requests, perMs).then(w => done(Number(w)), () => { this.fallbacks++; this.stall(); done(null) })
  }

  private stall(): void {
    if (this.stalled || this.closed) return
    this.stalled = true
    this.log(`rate limits: Redis ${this.shown} did not answer; using local limits until it does`)
    this.checkStalled()
  }

  /** One PING at a time until one answers; the pause between tries is a timer, not a request's wait. */
  private checkStalled(): void {
    this.stallTimer = null
    const c = this.client
    if (this.closed || c === null) return
    c.ping().then(() => {
      if (!this.stalled) return
      this.stalled = false
      this.log(`rate limits: Redis ${this.shown} answers again`)
    }, () => {
      if (this.closed) return
      this.stallTimer = setTimeout(() => this.checkStalled(), STALL_RECHECK_MS)
      this.stallTimer.unref()
    })
  }

  private connect(): void {
    if (this.connecting || this.closed) return
    this.connecting = import('ioredis').then(({ Redis }) => {
      if (this.closed) return
      const c = new Redis(this.url, {
        enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 250,
        retryStrategy: times => Math.min(100 * times, 2000),
      }) as TakingRedis
      c.defineCommand('trellisTake', { numberOfKeys: 1, lua: TAKE })
      let warned = false
      c.on('error', (err: Error) => { if (!warned) { warned = true; this.log(`rate limits: Redis ${this.shown} unreachable (${err.message}); using local limits until it is back`) } })
      c.on('ready', () => { if (warned) this.log(`rate limits: Redis ${this.shown} is back`); warned = false })
      this.client = c
    }).catch(err => { this.log(`rate limits: cannot load the Redis client: ${(err as Error).message}`) })
  }

  close(): void {
    this.closed = true
    if (this.stallTimer !== null) clearTimeout(this.stallTimer)
    this.client?.disconnect()
  }
}

function withoutCredentials(url: string): string {
  const start = url.indexOf('//') + 2, at = url.lastIndexOf('@')
  return start >= 2 && at >= start ? url.slice(0, start) + url.slice(at + 1) : url
}
