// One matched route entry, compiled once per snapshot: filters prepared, weights tabled, metrics
// series and outcome callbacks prepared. `handle` runs per request; it allocates only for what the
// request itself needs (a RingHash key, a delayed fault's continuation).
import type { BackendIR, RouteEntryIR } from '../../ir/index.js'
import { SmoothWeightedPicker } from '../../lib/weighted-pick.js'
import type { ProxyMetrics, RequestSeries } from '../../telemetry/proxy-metrics.js'
import { TapHub } from '../../telemetry/tap-hub.js'
import { inboundObserver, ROUTE_HEADER } from './inbound-observer.js'
import { ProxyError } from '../errors.js'
import { addResponseEdit, type Exchange } from '../exchange.js'
import { composeEdits, headerModifier, type HeaderEdit } from '../filters/header-modifier.js'
import { requestRedirect } from '../filters/request-redirect.js'
import { urlRewrite } from '../filters/url-rewrite.js'
import type { Cluster } from '../upstream/cluster.js'
import { fail, forward, type Done, type ForwardOptions } from '../upstream/forward.js'
import { faultInjection, type Fault } from '../filters/fault-injection.js'
import { requestMirror, type Mirror } from '../filters/request-mirror.js'
import { RetryPolicy } from '../resilience/retry-policy.js'
import { buildHashKeyExtractor, type HashKeyExtractor } from '../balance/hash-key.js'
import { rateLimited, type RateLimiter } from '../ratelimit/rate-limiter.js'
import { edgeCaller, type Authorizer } from '../authz/authorizer.js'
import type { RequestGate } from '../listener/http-listener.js'
import { nowMs } from '../../lib/monotonic-clock.js'

export interface RouteBuildContext {
  readonly listener: string
  readonly clusters: ReadonlyMap<string, Cluster>
  readonly metrics: ProxyMetrics
  readonly scheme: 'http' | 'https'
  readonly port: number
  /** AuthorizationPolicies on routes, by route name, and the caller they judge: this proxy's
   *  identity in a sidecar; at a Gateway (`edge`) the request's consumer, or `anonymous`. */
  readonly authorization?: ReadonlyMap<string, Authorizer>
  readonly caller?: string | null
  /** RateLimitPolicies on routes, by route name. */
  readonly rateLimits?: ReadonlyMap<string, RateLimiter>
  /** A calling proxy's tap state: while a tap runs, named routes tell the callee their name. */
  readonly tap?: TapHub
  /** A sidecar's inbound side: outcomes are recorded per caller and offered to taps. */
  readonly inboundTap?: TapHub
  /** A Gateway's routes: policies judge each request's consumer (see `authorization`). */
  readonly edge?: boolean
  /** At a Gateway: SecurityPolicies on routes, by route name. */
  readonly security?: ReadonlyMap<string, RequestGate>
}

/** Never tags: routes without a name, and the inbound side, which calls only its own app. */
const NO_TAGGING = new TapHub()

interface CompiledBackend {
  readonly cluster: Cluster | null
  readonly service: string | null
  readonly requestEdit: HeaderEdit | null
  readonly responseEdit: HeaderEdit | null
  readonly series: RequestSeries
  readonly options: ForwardOptions
  readonly observe: Done                 // records the final status and latency in `series`
  readonly hashKey: HashKeyExtractor | null
  readonly fault: Fault | null
  // backendRef-level URLRewrite, RequestRedirect and RequestMirror: applied once this backend is picked.
  readonly rewrite: ((x: Exchange) => void) | null
  readonly redirect: ((x: Exchange) => void) | null
  readonly mirrors: readonly Mirror[]
}

export class CompiledRoute {
  private readonly redirect: ((x: Exchange) => void) | null = null
  private readonly requestEdit: HeaderEdit | null
  private readonly rewrite: ((x: Exchange) => void) | null = null
  private readonly mirrors: Mirror[] = []
  private readonly backends: CompiledBackend[]
  private readonly picker: SmoothWeightedPicker
  private readonly noBackendSeries: RequestSeries
  private readonly observeNoBackend: Done
  private readonly authorizer: Authorizer | null
  private readonly caller: string | null
  private readonly limiter: RateLimiter | null
  private readonly tagger: TapHub
  private readonly edge: boolean

  constructor(readonly entry: RouteEntryIR, ctx: RouteBuildContext) {
    this.tagger = ctx.tap && entry.route ? ctx.tap : NO_TAGGING
    this.authorizer = ctx.authorization?.get(entry.route) ?? null
    this.limiter = ctx.rateLimits?.get(entry.route) ?? null
    this.caller = ctx.caller ?? null
    this.edge = ctx.edge ?? false
    const requestEdits: (HeaderEdit | null)[] = []
    const responseEdits: (HeaderEdit | null)[] = []
    for (const f of entry.filters) {
      if (f.type === 'RequestHeaderModifier') requestEdits.push(headerModifier(f.requestHeaderModifier))
      else if (f.type === 'ResponseHeaderModifier') responseEdits.push(headerModifier(f.responseHeaderModifier))
      else if (f.type === 'URLRewrite') this.rewrite = urlRewrite(f.urlRewrite, entry.path)
      else if (f.type === 'RequestRedirect') this.redirect = requestRedirect(f.requestRedirect, entry.path, ctx.scheme, ctx.port)
      else if (f.type === 'RequestMirror') { const m = requestMirror(f.requestMirror, ctx.clusters); if (m) this.mirrors.push(m) }
    }
    this.requestEdit = composeEdits(requestEdits)
    const responseEdit = composeEdits(responseEdits)
    const route = entry.route || '(default)'
    this.backends = entry.backends.map(b => compileBackend(b, entry, ctx, route, responseEdit))
    this.picker = new SmoothWeightedPicker(entry.backends.map(b => b.weight))
    this.noBackendSeries = ctx.metrics.requestSeries({ listener: ctx.listener, route, backend: '' })
    this.observeNoBackend = observer(this.noBackendSeries)
  }

  /** Null when the route's AuthorizationPolicies let the request through, else why not. */
  denied(x: Exchange): string | null {
    if (this.authorizer === null) return null
    return this.authorizer.check(this.callerOf(x), x.req.method ?? 'GET', x.path)
  }

  /** An Upgrade (no response object): the route's authorization and rate limits, then `go`, or
   *  the error to refuse the upgrade with. */
  admitUpgrade(x: Exchange, go: () => void, refuse: (err: ProxyError) => void): void {
    const denied = this.denied(x)
    if (denied !== null) { refuse(new ProxyError('denied', denied)); return }
    if (this.limiter === null) { go(); return }
    this.limiter.admit(x, this.callerOf(x), wait => {
      if (wait > 0) refuse(new ProxyError('rate_limited', `rate limit reached; retry in ${Math.ceil(wait)} ms`))
      else go()
    })
  }

  /** Who policies judge: at a Gateway the request's consumer (or `anonymous`), else this proxy. */
  private callerOf(x: Exchange): string | null {
    return this.edge ? edgeCaller(x.consumer) : this.caller
  }

  handle(x: Exchange): void {
    x.route = this.entry.route
    const denied = this.authorizer === null ? null : this.denied(x)
    if (denied !== null) { fail(x, new ProxyError('denied', denied), this.observeNoBackend); x.req.resume(); return }
    if (this.limiter === null) { this.proceed(x); return }
    this.limiter.admit(x, this.callerOf(x), wait => {
      if (wait > 0) { rateLimited(x, wait); this.noBackendSeries.observe(429, nowMs() - x.startMs); return }
      this.proceed(x)
    })
  }

  private proceed(x: Exchange): void {
    if (this.redirect) { this.redirect(x); this.noBackendSeries.observe(x.res.statusCode, nowMs() - x.startMs); return }
    if (this.tagger.tagging) x.headers[ROUTE_HEADER] = this.entry.route
    // Only this proxy names the route it matched: an app's own header would show in the callee's tap as one.
    else if (x.headers[ROUTE_HEADER] !== undefined) delete x.headers[ROUTE_HEADER]
    if (this.requestEdit) this.requestEdit(x.headers)
    if (this.rewrite) this.rewrite(x)
    for (let m = 0; m < this.mirrors.length; m++) this.mirrors[m](x)
    const i = this.picker.next()
    const backend = i < 0 ? null : this.backends[i]
    if (backend !== null) x.service = backend.service ?? ''     // '': a backend that names no Service
    if (backend?.redirect) { backend.redirect(x); backend.series.observe(x.res.statusCode, nowMs() - x.startMs); return }
    if (!backend || !backend.cluster) {
      const what = backend?.service ? `Service ${backend.service} is not known to this proxy` : 'the route has no usable backend'
      fail(x, new ProxyError('no_backend', what), backend ? backend.observe : this.observeNoBackend)
      return
    }
    if (backend.requestEdit) backend.requestEdit(x.headers)
    if (backend.rewrite) backend.rewrite(x)
    for (let m = 0; m < backend.mirrors.length; m++) backend.mirrors[m](x)
    if (backend.responseEdit) addResponseEdit(x, backend.responseEdit)   // after a SecurityPolicy's CORS edit, if any
    const hashKey = backend.hashKey ? backend.hashKey(x.req.headers, x.client) : null
    const cluster = backend.cluster
    if (backend.fault) backend.fault(x, () => forward(x, cluster, backend.options, backend.observe, hashKey), backend.observe)
    else forward(x, cluster, backend.options, backend.observe, hashKey)
  }
}

function compileBackend(b: BackendIR, entry: RouteEntryIR, ctx: RouteBuildContext, route: string, routeResponseEdit: HeaderEdit | null): CompiledBackend {
  const cluster = b.service ? ctx.clusters.get(b.service) ?? null : null
  const req: (HeaderEdit | null)[] = [], res: (HeaderEdit | null)[] = []
  let rewrite: ((x: Exchange) => void) | null = null, redirect: ((x: Exchange) => void) | null = null
  const mirrors: Mirror[] = []
  for (const f of b.filters) {
    if (f.type === 'RequestHeaderModifier') req.push(headerModifier(f.requestHeaderModifier))
    else if (f.type === 'ResponseHeaderModifier') res.push(headerModifier(f.responseHeaderModifier))
    else if (f.type === 'URLRewrite') rewrite = urlRewrite(f.urlRewrite, entry.path)
    else if (f.type === 'RequestRedirect') redirect = requestRedirect(f.requestRedirect, entry.path, ctx.scheme, ctx.port)
    else if (f.type === 'RequestMirror') { const m = requestMirror(f.requestMirror, ctx.clusters); if (m) mirrors.push(m) }
  }
  const series = ctx.metrics.requestSeries({ listener: ctx.listener, route, backend: b.service ?? '' })
  return {
    cluster, service: b.service,
    // The rule's response edits, then the backend's: composed once here, not per request.
    requestEdit: composeEdits(req), responseEdit: composeEdits([routeResponseEdit, ...res]),
    series,
    options: {
      // The route's own timeout, even 0 (none), wins over the Service's; unset on both: none.
      timeoutMs: entry.timeouts.requestMs ?? cluster?.policy.timeoutMs ?? 0,
      attemptTimeoutMs: entry.timeouts.backendRequestMs,
      retry: entry.retry ? new RetryPolicy(entry.retry) : null,
    },
    observe: ctx.inboundTap ? inboundObserver(ctx.metrics.callerSeries({ listener: ctx.listener, route, backend: b.service ?? '' }), ctx.inboundTap) : observer(series),
    fault: faultInjection(entry.fault ?? cluster?.policy.faultInjection ?? null),
    rewrite, redirect, mirrors,
    hashKey: cluster && cluster.policy.loadBalancer.type === 'RingHash' ? buildHashKeyExtractor(cluster.policy.loadBalancer.hashOn) : null,
  }
}

/** The once-per-backend callback that records a request's outcome. */
function observer(series: RequestSeries): Done {
  return (status, x) => series.observe(status, nowMs() - x.startMs)
}
