// Token buckets kept in this proxy: `requests` tokens per `perMs`, burst = `requests`. Keys are
// bounded in number (the oldest bucket goes first), so a flood of distinct keys (client addresses,
// header values) cannot grow memory without limit.
const MAX_BUCKETS = 100_000

interface Bucket { tokens: number; at: number }

export class LocalBuckets {
  private readonly buckets = new Map<string, Bucket>()

  /** Takes one token: 0 when allowed, else how many ms until one is available. */
  take(key: string, requests: number, perMs: number, now: number): number {
    let b = this.buckets.get(key)
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string)
      b = { tokens: requests, at: now }
      this.buckets.set(key, b)
    }
    return takeFrom(b, requests, perMs, now)
  }

  get size(): number { return this.buckets.size }
}

/** Refills for the time passed, then takes one token if there is one. */
export function takeFrom(b: Bucket, requests: number, perMs: number, now: number): number {
  const elapsed = now - b.at
  if (elapsed > 0) { b.tokens = Math.min(requests, b.tokens + (elapsed * requests) / perMs); b.at = now }
  if (b.tokens >= 1) { b.tokens -= 1; return 0 }
  return Math.ceil(((1 - b.tokens) * perMs) / requests)
}
