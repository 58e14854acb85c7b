// Token buckets kept in this proxy: `requests` tokens per `perMs`, burst = `requests`. Keys are
// bounded in number, so a flood of distinct keys (client addresses, header values) cannot grow
// memory without limit, and it cannot reset anyone's limit either: only a bucket that has refilled
// (it holds nothing a new one would not) is dropped to make room. While every bucket is still
// refilling, new keys of a limit share one overflow bucket until room comes back.
const MAX_BUCKETS = 100_000
/** Buckets looked at per eviction, oldest first; the busy ones met go to the back (a second chance). */
const EVICTION_SCAN = 64

interface Bucket { tokens: number; at: number; /** when it will be full again (epoch ms) */ fullAt: number }

export class LocalBuckets {
  private readonly buckets = new Map<string, Bucket>()
  /** One per limit (`limit`): the bucket new keys share while the table holds only busy buckets. */
  private readonly overflow = new Map<string, Bucket>()

  constructor(private readonly capacity = MAX_BUCKETS) {}

  /** Takes one token from `key`'s bucket of `limit`: 0 when allowed, else how many ms until one is available. */
  take(key: string, limit: string, requests: number, perMs: number, now: number): number {
    let b = this.buckets.get(key)
    if (b === undefined) {
      if (this.buckets.size >= this.capacity && !this.evictRefilled(now)) {
        b = this.overflow.get(limit)
        if (b === undefined) { b = { tokens: requests, at: now, fullAt: now }; this.overflow.set(limit, b) }
        return takeFrom(b, requests, perMs, now)
      }
      b = { tokens: requests, at: now, fullAt: now }
      this.buckets.set(key, b)
    }
    return takeFrom(b, requests, perMs, now)
  }

  get size(): number { return this.buckets.size }

  /** Drops one bucket that is full again, looking at EVICTION_SCAN of the oldest; false if none was. */
  private evictRefilled(now: number): boolean {
    const oldest = this.buckets.entries()
    const busy: [string, Bucket][] = []
    let dropped = false
    for (let i = 0; i < EVICTION_SCAN; i++) {
      const next = oldest.next()
      if (next.done === true) break
      const [key, b] = next.value
      if (b.fullAt <= now) { this.buckets.delete(key); dropped = true; break }
      busy.push(next.value)
    }
    for (const [key, b] of busy) { this.buckets.delete(key); this.buckets.set(key, b) }
    return dropped
  }
}

/** Refills for the time passed, then takes one token if there is one. */
function takeFrom(b: Bucket, requests: number, perMs: number, now: number): number {
  const elapsed = now - b.at
  if (elapsed > 0) { b.tokens = Math.min(requests, b.tokens + (elapsed * requests) / perMs); b.at = now }
  let wait = 0
  if (b.tokens >= 1) b.tokens -= 1
  else wait = Math.ceil(((1 - b.tokens) * perMs) / requests)
  b.fullAt = b.at + ((requests - b.tokens) * perMs) / requests
  return wait
}
