// One SecurityPolicy at work on a Gateway listener or route, before AuthorizationPolicy and routing:
// 1. CORS: a preflight is answered here (before authentication, as browsers send no credentials
//    with it); an actual request from an allowed origin gets its Access-Control-* response headers.
// 2. Authentication: an API key (checked first: it is synchronous) or a JWT; either one is enough.
//    No credential: 401 unless `jwt.optional` (then anonymous); a credential that fails: always 401.
// 3. The consumer: `x.consumer` (AuthorizationPolicy's `gateway:<consumer>`), x-trellis-consumer and
//    claimToHeaders on the upstream request. Client-sent copies of those headers are removed first,
//    and the API key itself is not forwarded.
// 4. Audit: one line when the response is done (or when a WebSocket upgrade is decided).
import type { OutgoingHttpHeaders } from 'node:http'
import type { JWTPayload } from 'jose'
import { endWithHeaders, meshReasonOf, ProxyError, respondError } from '../../dataplane/errors.js'
import { addResponseEdit, type Exchange } from '../../dataplane/exchange.js'
import type { RequestGate } from '../../dataplane/listener/http-listener.js'
import type { JwtProviderIR } from '../../ir/security.js'
import type { ApiKeyStore } from './api-keys.js'
import type { AuditLog } from './audit-log.js'
import { isPreflight, varyWithOrigin, type CorsPolicy } from './cors.js'
import type { JwtAuthenticator } from './jwt-authenticator.js'

export interface GateParts {
  readonly policy: string
  readonly cors: CorsPolicy | null
  readonly jwt: JwtAuthenticator | null
  readonly optional: boolean
  readonly apiKey: { readonly header: string; readonly store: ApiKeyStore } | null
  /** Every provider's claimToHeaders header names: never taken from the client. */
  readonly claimHeaders: readonly string[]
  readonly audit: AuditLog | null
}

type Decided = (err: ProxyError | null) => void

const CONSUMER_HEADER = 'x-trellis-consumer'
const MAX_CLAIM_HEADER = 8192
const HEADER_VALUE = /^[\x20-\x7e]*$/
const addVaryOrigin = (h: OutgoingHttpHeaders) => { h.vary = varyWithOrigin(h.vary) }

export class SecurityGate implements RequestGate {
  private readonly authenticates: boolean

  constructor(private readonly p: GateParts) {
    this.authenticates = p.jwt !== null || p.apiKey !== null
  }

  get policy(): string { return this.p.policy }
  get claimHeaders(): readonly string[] { return this.p.claimHeaders }

  handle(x: Exchange, route: string | null, next: () => void): void {
    if (this.p.audit !== null) this.auditWhenDone(x, route)
    if (this.p.cors !== null && this.cors(this.p.cors, x)) return
    if (!this.authenticates) { next(); return }
    this.authenticate(x, err => {
      if (err === null) { next(); return }
      if (this.p.jwt !== null) x.res.setHeader('www-authenticate', 'Bearer')
      respondError(x.res, err)
      x.req.resume()
    })
  }

  upgrade(x: Exchange, route: string | null, next: () => void, reject: (err: ProxyError) => void): void {
    const path = x.path
    if (!this.authenticates) { this.auditNow(x, route, path, 101, null); next(); return }
    this.authenticate(x, err => {
      if (err === null) next(); else reject(err)
      // After `next`: a route picked again by the token's claims has set x.route.
      this.auditNow(x, x.route ?? route, path, err === null ? 101 : err.status, err === null ? null : err.reason)
    })
  }

  /** True when the request was a preflight, answered here. */
  private cors(cors: CorsPolicy, x: Exchange): boolean {
    const req = x.req, res = x.res
    const origin = req.headers.origin
    if (isPreflight(req.method, req.headers)) {
      const allowed = cors.preflight(origin!, req.headers['access-control-request-method'] as string,
        req.headers['access-control-request-headers'] as string | undefined)
      endWithHeaders(res, 204, allowed ?? { vary: 'Origin' })
      req.resume()
      return true
    }
    // Set on the response for the mesh's own answers (401, 403, 503…), and as an edit over the app's.
    res.setHeader('vary', 'Origin')
    if (origin === undefined || !cors.allowsOrigin(origin)) { addResponseEdit(x, addVaryOrigin); return false }
    const headers = cors.actual(origin)
    for (const name in headers) res.setHeader(name, headers[name]!)
    addResponseEdit(x, h => { Object.assign(h, headers); h.vary = varyWithOrigin(h.vary) })
    return false
  }

  private authenticate(x: Exchange, done: Decided): void {
    const headers = x.req.headers
    for (let i = 0; i < this.p.claimHeaders.length; i++) delete x.headers[this.p.claimHeaders[i]]
    let presented = false
    const apiKey = this.p.apiKey
    if (apiKey !== null) {
      const key = headers[apiKey.header]
      delete x.headers[apiKey.header]
      if (typeof key === 'string' && key.trim() !== '') {
        presented = true
        const name = apiKey.store.match(key.trim())
        if (name !== null) { this.admit(x, name, null, null); done(null); return }
      }
    }
    const jwt = this.p.jwt
    const found = jwt === null ? [] : jwt.tokensOf(headers)
    if (found.length === 0) {
      if (!presented && this.p.optional) done(null)
      else done(new ProxyError('unauthenticated', presented ? 'API key not accepted' : 'no credential'))
      return
    }
    jwt!.verify(found).then(r => {
      if (r.ok) { this.admit(x, r.consumer, r.provider, r.claims); done(null) }
      else done(new ProxyError('unauthenticated', presented ? `API key not accepted; ${r.detail}` : r.detail))
    }, () => done(new ProxyError('unauthenticated', 'token not accepted')))
  }

  private admit(x: Exchange, consumer: string, provider: JwtProviderIR | null, claims: JWTPayload | null): void {
    x.consumer = consumer
    x.headers[CONSUMER_HEADER] = consumer
    if (provider === null || claims === null) return
    for (const { claim, header } of provider.claimToHeaders) {
      const v = claimValue(claims, claim)
      if (v !== null) x.headers[header] = v
    }
  }

  private auditWhenDone(x: Exchange, route: string | null): void {
    const audit = this.p.audit!, path = x.path
    x.res.once('close', () => this.auditNow(x, x.route ?? route, path, x.res.headersSent ? x.res.statusCode : null, meshReasonOf(x.res), audit))
  }

  private auditNow(x: Exchange, route: string | null, path: string, status: number | null, reason: string | null, audit = this.p.audit): void {
    if (audit === null) return
    const id = x.headers['x-request-id']
    audit.write({
      consumer: x.consumer, client: x.client, method: x.req.method ?? 'GET', path, route, status, reason,
      requestId: typeof id === 'string' ? id : null,
    })
  }
}

/** A claim as a header value: strings, numbers and booleans, lists of them joined with `,`; a name
 *  with dots that is not a claim of its own reads nested objects. Null when absent or not printable. */
export function claimValue(claims: JWTPayload, claim: string): string | null {
  let v: unknown = claims[claim]
  if (v === undefined && claim.includes('.')) {
    v = claims
    for (const part of claim.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined
  }
  const text = scalar(v) ?? (Array.isArray(v) && v.every(e => scalar(e) !== null) ? v.map(e => scalar(e)).join(',') : null)
  return text !== null && text.length <= MAX_CLAIM_HEADER && HEADER_VALUE.test(text) ? text : null
}

function scalar(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null
}
