// A JWKS served over HTTP(S), fetched by the gateway itself from that URL only (redirects are
// refused). Fetched once when the policy is first applied and kept; a token whose `kid` no cached
// key has triggers a refetch, at most once per
// `cooldownMs` (10 s), and requests arriving meanwhile wait for that one fetch. After `maxAgeMs`
// the set is refetched in the background while the cached keys keep serving; a background refetch
// that failed is tried again only `cooldownMs` later, so an issuer that is down gets one request
// per cooldown, not one per token. A failed fetch keeps the keys there were (none before the first
// success: tokens are then refused).
import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose'
import type { KeySource } from './jwks.js'
import { parseJwks } from './jwks.js'

export const JWKS_COOLDOWN_MS = 10_000
export const JWKS_MAX_AGE_MS = 10 * 60_000
const FETCH_TIMEOUT_MS = 5000
const MAX_BYTES = 1 << 20

type LocalSet = ReturnType<typeof createLocalJWKSet>

export interface RemoteJwksOptions { readonly cooldownMs?: number; readonly maxAgeMs?: number }

export class RemoteJwks implements KeySource {
  private set: LocalSet | null = null
  private loadedAt = 0
  private pending: Promise<void> | null = null
  private lastOnDemand = -Infinity
  private lastFailure = -Infinity
  private readonly cooldownMs: number
  private readonly maxAgeMs: number
  private closed = false
  /** Fetches started (tests count them). */
  fetches = 0

  constructor(readonly url: string, private readonly log: (line: string) => void, opts: RemoteJwksOptions = {}) {
    this.cooldownMs = opts.cooldownMs ?? JWKS_COOLDOWN_MS
    this.maxAgeMs = opts.maxAgeMs ?? JWKS_MAX_AGE_MS
    void this.load()
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.set === null && this.pending !== null) await this.pending
    if (this.set !== null) {
      const now = Date.now()
      if (now - this.loadedAt > this.maxAgeMs && now - this.lastFailure >= this.cooldownMs) void this.load()
    }
    const first = await this.lookup(header, token)
    if (first !== null) return first
    if (this.pending !== null) await this.pending
    else if (Date.now() - this.lastOnDemand >= this.cooldownMs) {
      this.lastOnDemand = Date.now()
      await this.load()
    } else throw new errors.JWKSNoMatchingKey()
    const second = await this.lookup(header, token)
    if (second !== null) return second
    throw new errors.JWKSNoMatchingKey()
  }

  /** The key for this token in the cached set; null when the set has none (or there is no set yet). */
  private async lookup(...args: Parameters<LocalSet>): Promise<Awaited<ReturnType<LocalSet>> | null> {
    if (this.set === null) return null
    try {
      return await this.set(...args)
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) return null
      throw err
    }
  }

  private load(): Promise<void> {
    if (this.pending !== null) return this.pending
    this.fetches++
    this.pending = this.fetchSet().then(set => {
      this.set = set
      this.loadedAt = Date.now()
    }, err => {
      this.lastFailure = Date.now()
      if (!this.closed) this.log(`JWKS ${this.url}: ${(err as Error).message}; keeping the keys there were`)
    }).finally(() => { this.pending = null })
    return this.pending
  }

  private async fetchSet(): Promise<LocalSet> {
    // Redirects are not followed: keys come only from the URL the policy names (a redirect could
    // point anywhere, or from https to plain http).
    const res = await fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' }, redirect: 'manual' })
    if (res.status !== 200) {
      await res.body?.cancel()
      const to = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null
      throw new Error(to === null ? `answered ${res.status}` : `answered ${res.status} (a redirect to ${to}); redirects are not followed, set jwks.url to where the key set is served`)
    }
    if (Number(res.headers.get('content-length') ?? 0) > MAX_BYTES) { await res.body?.cancel(); throw new Error('key set larger than 1 MiB') }
    return createLocalJWKSet(parseJwks(await readAtMost(res, MAX_BYTES)))
  }

  close(): void { this.closed = true }
}

/** The body as text, read only up to `max` bytes: a body without Content-Length (chunked) is cut off
 *  there rather than held in memory whole. */
async function readAtMost(res: Response, max: number): Promise<string> {
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (bytes > max) { await reader.cancel(); throw new Error('key set larger than 1 MiB') }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
