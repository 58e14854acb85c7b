// CORS decisions for one SecurityPolicy, with every header value joined once at build time.
// Origins match exactly (or `*`). A preflight (OPTIONS with Origin and Access-Control-Request-Method)
// is answered by the gateway: 204 with the allow headers when origin, method and requested headers
// are all allowed, else 204 without any CORS header (the browser then refuses the real request).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { CorsIR } from '../../ir/security.js'

/** Request headers a browser may send without asking (CORS-safelisted names). */
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language'])

export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined
}

export class CorsPolicy {
  private readonly anyOrigin: boolean
  private readonly origins: ReadonlySet<string>
  private readonly anyMethod: boolean
  private readonly methods: ReadonlySet<string>
  private readonly methodsValue: string
  private readonly anyHeader: boolean
  private readonly headers: ReadonlySet<string>
  private readonly headersValue: string | null
  private readonly exposeValue: string | null
  private readonly credentials: boolean
  private readonly maxAge: string | null

  constructor(ir: CorsIR) {
    this.anyOrigin = ir.allowOrigins.includes('*')
    this.origins = new Set(ir.allowOrigins)
    this.anyMethod = ir.allowMethods.includes('*')
    this.methods = new Set(ir.allowMethods)
    this.methodsValue = ir.allowMethods.join(', ')
    this.anyHeader = ir.allowHeaders.includes('*')
    this.headers = new Set(ir.allowHeaders)
    this.headersValue = ir.allowHeaders.length > 0 ? ir.allowHeaders.join(', ') : null
    this.exposeValue = ir.exposeHeaders.length > 0 ? ir.exposeHeaders.join(', ') : null
    this.credentials = ir.allowCredentials
    this.maxAge = ir.maxAgeMs === null ? null : String(Math.floor(ir.maxAgeMs / 1000))
  }

  allowsOrigin(origin: string): boolean { return this.anyOrigin || this.origins.has(origin) }

  /** The headers of an allowed preflight's 204, or null when it is not allowed. */
  preflight(origin: string, method: string, requestHeaders: string | undefined): OutgoingHttpHeaders | null {
    if (!this.allowsOrigin(origin)) return null
    if (!this.anyMethod && !this.methods.has(method)) return null
    const asked = requestHeaders === undefined ? [] : requestHeaders.toLowerCase().split(',').map(h => h.trim()).filter(h => h !== '')
    if (!this.anyHeader) for (const h of asked) if (!this.headers.has(h) && !SAFELISTED.has(h)) return null
    const out: OutgoingHttpHeaders = {
      'access-control-allow-origin': this.originValue(origin),
      'access-control-allow-methods': this.anyMethod ? method : this.methodsValue,
      vary: 'Origin',
    }
    const allowHeaders = this.anyHeader ? (asked.length > 0 ? asked.join(', ') : null) : this.headersValue
    if (allowHeaders !== null) out['access-control-allow-headers'] = allowHeaders
    if (this.credentials) out['access-control-allow-credentials'] = 'true'
    if (this.maxAge !== null) out['access-control-max-age'] = this.maxAge
    return out
  }

  /** Response headers for an actual request from an allowed `origin` (check allowsOrigin first). */
  actual(origin: string): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = { 'access-control-allow-origin': this.originValue(origin) }
    if (this.credentials) out['access-control-allow-credentials'] = 'true'
    if (this.exposeValue !== null) out['access-control-expose-headers'] = this.exposeValue
    return out
  }

  /** `*` stays `*` (never with credentials: validation refuses that); else the origin itself. */
  private originValue(origin: string): string { return this.anyOrigin ? '*' : origin }
}

/** Adds Origin to a Vary value unless it is there already (or is `*`). */
export function varyWithOrigin(vary: string | number | string[] | undefined): string {
  if (vary === undefined) return 'Origin'
  const v = Array.isArray(vary) ? vary.join(', ') : String(vary)
  return /(^|,)\s*(origin|\*)\s*(,|$)/i.test(v) ? v : `${v}, Origin`
}
