// An HTTP listener (plain: HTTP/1.1 and h2c by prior knowledge; TLS-terminating: h2 and http/1.1 by
// ALPN, with certificates picked by SNI) whose route table
// can be swapped atomically: requests in flight keep the table they started with. It applies the
// listener's ClientTrafficPolicy before routing: size limits (431/414/413), header/idle/request
// timeouts (HTTP/2 requests: h2-request-timeout.ts), path rules, trusted x-forwarded-for hops, max connections. Protocol errors from the
// parser (ambiguous framing, oversized headers) are answered here, never forwarded.
// Upgrade: `websocket` is tunnelled by the matched route; any other upgrade (h2c) is ignored: the
// request is handed back to the HTTP parser without its upgrade headers and served normally.
// HTTP/1.1 connections, plain or past TLS, are read by the fast path (h1/), which hands any request
// it does not take, and the rest of its connection, to Node's server; h2 and h2c go to Node's servers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Http2SecureServer, Http2Server, Http2Session } from 'node:http2'
import { http2 } from '../../lib/lazy-http2.js'
import { detectProtocol } from './detect-protocol.js'
import type { Duplex } from 'node:stream'
import { DEFAULT_CLIENT_TRAFFIC, type ClientTrafficIR } from '../../ir/client-traffic.js'
import { ProxyError, respondError } from '../errors.js'
import { Exchange } from '../exchange.js'
import { limitBody } from './body-limit.js'
import { H2RequestTimeouts } from './h2-request-timeout.js'
import { clientAddress, forwardRequestHeaders, trustedClientAddress, type ForwardContext } from './forward-headers.js'
import { normalizePath, type PathRules } from './normalize-path.js'
import { peerIdentityOf } from '../mtls/peer-identity.js'
import { rateLimited, type RateLimiter } from '../ratelimit/rate-limiter.js'
import type { Tracer } from '../tracing/tracer.js'
import { edgeCaller, type Authorizer } from '../authz/authorizer.js'
import { isGatewayIdentity } from '../../identity/spiffe.js'
import type { TlsServerOptions } from './tls-certificates.js'
import { handBack, isWebSocketUpgrade, rejectUpgrade } from './upgrade.js'
import { dropClientCopies, headersWithClaims, headersWithout } from './claim-routing.js'
import { closingResponse } from './closing-response.js'
import { closeLingering, isLingering, lingerAfterResponse } from './lingering-close.js'
import { H1ServerConnection, type H1Host } from './h1/server-connection.js'
import { H1Request } from './h1/server-request.js'
import { fastHttp1Enabled } from './h1/fast-path-switch.js'
import { nowMs } from '../../lib/monotonic-clock.js'

/** A TLS client gets this long to finish its handshake (Node's default is two minutes), as on the
 *  other TLS ports and as a plain connection gets to send its first bytes (detect-protocol.ts). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000

export interface RequestHandler {
  handle(x: Exchange): void
  /** Tunnels an HTTP/1.1 Upgrade (WebSocket) to the route's backend. */
  upgrade?(x: Exchange, client: Duplex, head: Buffer, idleMs: number): void
  /** The route's name, and its own SecurityPolicy (at a Gateway), which replaces the listener's. */
  readonly route?: string
  readonly gate?: RequestGate | null
  /** The Services its backends name, once each. */
  readonly services?: readonly string[]
}

/** `trellis tap` at a calling proxy: told of each request while `active`, with the route it matched
 *  (`x.matched`), and told again when its verified claims move it to another route; only the watch
 *  whose route is still `x.matched` when the response is done summarizes it. */
export interface CallerTapHook {
  readonly active: boolean
  watch(x: Exchange, route: RequestHandler | null): void
}

/** `trellis tap` of a connection whose head the HTTP parser refused (400, 408, 431, answered and
 *  closed): there is no request, only the connection, with the client's address and, past mTLS, its
 *  identity. Told only while `active`. */
export interface ParserRefusalTap {
  readonly active: boolean
  parserRefused(socket: Duplex, status: number, reason: string): void
}

/**
 * A Gateway's SecurityPolicy, run before AuthorizationPolicy and the route: it answers the request
 * itself (a CORS preflight, 401) or sets `x.consumer` and the headers the upstream gets, then calls `next`.
 */
export interface RequestGate {
  handle(x: Exchange, route: string | null, next: () => void): void
  /** WebSocket upgrades: authentication only, then `next`, or `reject`. */
  upgrade(x: Exchange, route: string | null, next: () => void, reject: (err: ProxyError) => void): void
  /** Headers it fills from a verified token (claimToHeaders): routes matching on them are picked
   *  again once it has run (claim-routing.ts). */
  readonly claimHeaders: readonly string[]
}
/** The routes and policies of one Gateway listener, for a port that listeners share (see `policiesByHost`). */
export interface ListenerPolicies {
  readonly router: Router | null
  readonly authorizer: Authorizer | null
  readonly limiter: RateLimiter | null
  readonly security: RequestGate | null
  /** Headers its routes match on that its SecurityPolicies fill from claims (claim-routing.ts); null: none. */
  readonly claimRouted: readonly string[] | null
  /** Every header its SecurityPolicies (the listener's, its routes' own) fill from claims: client
   *  copies are removed from all its requests (claim-routing.ts); null: none. */
  readonly claimFilled: readonly string[] | null
}
export interface Router { match(host: string, path: string, query: string | null, method: string, headers: IncomingMessage['headers']): RequestHandler | null }

export interface HttpListenerOptions {
  readonly name: string
  readonly proto: 'http' | 'https'
  readonly edge: boolean                 // a Gateway listener: client-sent forwarding headers are not trusted
  readonly stripMeshHeaders: boolean
  readonly clientTraffic?: ClientTrafficIR | null
  /** TLS termination (proto https): certificates by SNI. */
  readonly tls?: TlsServerOptions
}

export class HttpListener {
  readonly server: Server
  /** Plain listeners: the port itself, telling h2c (prior knowledge) from HTTP/1.1 per connection. */
  private readonly front: NetServer | null
  /** Plain listeners: the h2c server, made on the first HTTP/2 connection. */
  private h2: Http2Server | null = null
  private readonly onRequestFn: (req: IncomingMessage, res: ServerResponse) => void
  private readonly h2Sessions = new Set<Http2Session>()
  router: Router | null = null
  /** AuthorizationPolicies of what this listener serves (a sidecar's Services, a Gateway), checked before routing. */
  authorizer: Authorizer | null = null
  /** RateLimitPolicies of what this listener serves, checked after authorization. */
  limiter: RateLimiter | null = null
  /** The proxy's tracer: sets this hop's traceparent and records sampled spans. */
  tracer: Tracer | null = null
  /** Told of requests the listener answers itself (refused by ClientTrafficPolicy, denied, rate
   *  limited, no route): a sidecar's inbound side counts and taps them with the rest. */
  rejected: ((status: number, x: Exchange) => void) | null = null
  /** The SecurityPolicy of a Gateway listener; null elsewhere, and then nothing of it runs. */
  security: RequestGate | null = null
  /** A Gateway port that listeners with different hostnames share: the routes and policies of the
   *  listener a request's Host selects. Null (one listener), or a Host no listener claims: the fields above. */
  policiesByHost: ((host: string | null) => ListenerPolicies | null) | null = null
  /** Headers this listener's routes match on that its SecurityPolicies fill from claims; null: none. */
  claimRouted: readonly string[] | null = null
  /** Every header this listener's SecurityPolicies fill from claims: never taken from the client; null: none. */
  claimFilled: readonly string[] | null = null
  /** A caller's listener (a sidecar's outbound side, a Gateway): requests it answers itself, for taps. */
  callerTap: CallerTapHook | null = null
  /** Heads the HTTP parser refuses, for taps (a Gateway, a sidecar's inbound and outbound sides). */
  parserRefusals: ParserRefusalTap | null = null
  private readonly sockets = new Set<Socket>()
  private readonly opts: HttpListenerOptions
  private ct: ClientTrafficIR = DEFAULT_CLIENT_TRAFFIC
  private paths: PathRules = DEFAULT_CLIENT_TRAFFIC
  /** How this listener sets forwarding headers; rebuilt by configure(), read per request. */
  private forwarding!: ForwardContext
  /** The parser's own header-size limit, fixed when the server is made; smaller limits are checked per request. */
  private readonly parserHeaderBytes: number
  /** Plain HTTP/1.1 connections served by the fast path (h1/), not by `server`. */
  private readonly h1Connections = new Set<H1ServerConnection>()
  private readonly h1Host: H1Host
  private h1Sweep: NodeJS.Timeout | null = null
  /** The request timeout of HTTP/2 requests, which Node's servers apply to HTTP/1.1 only. */
  private readonly h2Timeouts = new H2RequestTimeouts(() => this.ct.requestTimeoutMs)
  /** TLS listeners: Node's handler of handshaken connections, where the fast path hands connections back. */
  private nodeTlsHandler: ((s: Socket) => void) | null = null
  draining = false
  /** Connections it is handed (accept()) close when the client closes its side, as its own server's do. */
  readonly allowHalfOpen = false

  constructor(opts: HttpListenerOptions) {
    this.opts = opts
    const ct = opts.clientTraffic ?? DEFAULT_CLIENT_TRAFFIC
    this.parserHeaderBytes = ct.maxRequestHeadersBytes
    const serverOptions = {
      maxHeaderSize: ct.maxRequestHeadersBytes,
      connectionsCheckingInterval: 1000,
      requestTimeout: 0,
    }
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res)
    this.server = opts.tls ? this.secureServer(opts.tls, ct, onRequest) : createServer(serverOptions, onRequest)
    this.onRequestFn = onRequest
    if (opts.tls) this.front = null
    else {
      this.front = createNetServer(socket => this.accept(socket))
      this.front.maxConnections = ct.maxConnections
    }
    this.configure(ct)
    this.server.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => this.track(s))
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const refused = onClientError(err, socket)
      if (refused !== null) this.tapRefusal(socket, refused.status, refused.reason)
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head))
    const self = this
    this.h1Host = {
      get maxHeadBytes() { return self.parserHeaderBytes },
      get maxBodyBytes() { return self.ct.maxRequestBodyBytes },
      get draining() { return self.draining },
      serve: (req, res) => this.onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse),
      handOver: (socket, bytes) => {
        socket.pause()
        if (bytes !== null && bytes.length > 0) socket.unshift(bytes)
        if (this.nodeTlsHandler !== null) this.nodeTlsHandler(socket)
        else this.server.emit('connection', socket)
        socket.resume()
      },
      forget: c => { this.h1Connections.delete(c) },
    }
  }

  /**
   * The TLS-terminating server: an HTTP/2 secure server that also serves HTTP/1.1 (allowHTTP1), so
   * ALPN offers h2 and http/1.1. HTTP/1.1 connections go through Node's own HTTP/1.1 server code on
   * this object, so the HTTP/1.1 server settings (header size, timeouts, connection checks) are set
   * on it as properties; 'upgrade', 'clientError' and 'request' are emitted here for both protocols.
   */
  private secureServer(tls: TlsServerOptions, ct: ClientTrafficIR, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
    const srv: Http2SecureServer = http2().createSecureServer({
      ...tls, allowHTTP1: true, settings: { maxConcurrentStreams: ct.http2MaxConcurrentStreams }, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    }, onRequest as never)
    srv.on('session', (s: Http2Session) => this.trackH2(s))
    // Node's own handler of a handshaken connection: h2 sessions, and HTTP/1.1 through Node's server.
    // HTTP/1.1 goes to the fast path instead, which hands what it does not take back to this handler.
    const nodeHandler = srv.listeners('secureConnection')[0] as (s: Socket) => void
    srv.removeListener('secureConnection', nodeHandler)
    this.nodeTlsHandler = s => nodeHandler.call(srv, s)
    srv.prependListener('secureConnection', (s: TLSSocket) => {
      if (s.alpnProtocol === 'h2' || !fastHttp1Enabled()) nodeHandler.call(srv, s)
      else this.serveHttp1(s)
    })
    const http1 = srv as unknown as { maxHeaderSize: number; connectionsCheckingInterval: number }
    http1.maxHeaderSize = ct.maxRequestHeadersBytes
    http1.connectionsCheckingInterval = 1000
    return srv as unknown as Server
  }

  /** Applies a (new) ClientTrafficPolicy; open connections pick up the new limits on their next request. */
  configure(ct: ClientTrafficIR | null): void {
    const c = ct ?? DEFAULT_CLIENT_TRAFFIC
    this.forwarding = { proto: this.opts.proto, edge: this.opts.edge, stripMeshHeaders: this.opts.stripMeshHeaders, trustedHops: c.trustedHops }
    this.ct = c
    this.paths = { allowEncodedSlashes: c.allowEncodedSlashes, allowBackslashes: c.allowBackslashes, allowSemicolons: c.allowSemicolons }
    const s = this.server
    s.headersTimeout = c.requestHeadersTimeoutMs
    s.requestTimeout = c.requestTimeoutMs
    s.keepAliveTimeout = c.idleTimeoutMs
    s.maxHeadersCount = 0   // no silent truncation (it could drop Host); the count is checked per request, bytes bound it
    s.maxConnections = c.maxConnections
    s.timeout = 0
    // HTTP/2 settings are sent when a connection opens: new connections get the new limit.
    const settings = { maxConcurrentStreams: c.http2MaxConcurrentStreams }
    if (this.opts.tls) (s as unknown as Http2SecureServer).updateSettings(settings)
    else this.h2?.updateSettings(settings)
  }

  /** Serves a connection accepted elsewhere (a port that switches protocols: a sidecar's inbound
   *  port, a SwitchablePort). */
  accept(socket: Socket): void {
    if (this.opts.tls) { this.track(socket); this.server.emit('connection', socket); return }   // tracked before its handshake, so a drain can end it
    detectProtocol(socket, s => this.serveHttp1(s), d => { if (this.draining) d.destroy(); else this.h2Server().emit('connection', d) })
  }

  /** For a listener that never listens itself, only served connections through accept(): starts
   *  the HTTP server's connection checks (header and request timeouts), as listen() would. */
  serveAccepted(): void { this.server.emit('listening') }

  /** An HTTP/1.1 connection (plain, or past TLS): the fast path, which hands anything unusual to Node's server. */
  private serveHttp1(s: Socket): void {
    if (!fastHttp1Enabled()) { this.server.emit('connection', s); return }
    if (this.opts.tls === undefined) this.track(s)        // TLS listeners track on 'secureConnection'
    this.h1Connections.add(new H1ServerConnection(s, this.h1Host))
    this.h1Sweep ??= setInterval(() => this.sweepH1(), 1000).unref()
  }

  /** The fast path's timeouts, checked once a second as Node's server checks its own. */
  private sweepH1(): void {
    const ct = this.ct
    const now = nowMs()
    for (const c of this.h1Connections) {
      if (c.idle) { if (ct.idleTimeoutMs > 0 && now - c.idleSinceMs > ct.idleTimeoutMs) c.close() }
      else if (c.readingHead) {
        // As Node's server does with the head it is reading (its 'clientError'), a 408 without a request.
        if (ct.requestHeadersTimeoutMs > 0 && now - c.headStartMs > ct.requestHeadersTimeoutMs) { c.timeOut(); this.tapRefusal(c.socket, 408, 'timeout') }
      }
      else if (c.readingBody) { if (ct.requestTimeoutMs > 0 && now - c.headStartMs > ct.requestTimeoutMs) c.timeOut() }
      else if (c.droppingBody) {
        if ((ct.idleTimeoutMs > 0 && now - c.idleSinceMs > ct.idleTimeoutMs) || (ct.requestTimeoutMs > 0 && now - c.headStartMs > ct.requestTimeoutMs)) c.close()
      }
    }
  }

  /** A head refused before there was a request, for the taps that want it; one check when none does. */
  private tapRefusal(socket: Duplex, status: number, reason: string): void {
    const tap = this.parserRefusals
    if (tap !== null && tap.active) tap.parserRefused(socket, status, reason)
  }

  /** Closes connections between requests (draining); the others close after their response. */
  closeIdle(): void {
    this.server.closeIdleConnections()
    for (const c of this.h1Connections) if (c.idle) c.close()
  }

  private h2Server(): Http2Server {
    if (this.h2) return this.h2
    const h2 = http2().createServer({ settings: { maxConcurrentStreams: this.ct.http2MaxConcurrentStreams } }, this.onRequestFn as never)
    h2.on('session', (s: Http2Session) => this.trackH2(s))
    return (this.h2 = h2)
  }

  /** An HTTP/2 connection: tracked for draining, and closed (GOAWAY) after the idle timeout without
   *  traffic, as HTTP/1.1 keep-alive connections are; streams still open then finish first. */
  private trackH2(s: Http2Session): void {
    this.h2Sessions.add(s)
    s.once('close', () => this.h2Sessions.delete(s))
    const idleMs = this.ct.idleTimeoutMs
    if (idleMs > 0) s.setTimeout(idleMs, () => s.close())
  }

  listen(port: number, host: string): Promise<number> {
    const srv = this.front ?? this.server
    return new Promise((resolve, reject) => {
      srv.once('error', reject)
      srv.listen(port, host, () => {
        srv.off('error', reject)
        // The HTTP server is fed connections by the front and never listens itself; 'listening' starts
        // its connection tracking (header and request timeouts), as listen() would.
        if (this.front) this.server.emit('listening')
        resolve((srv.address() as { port: number }).port)
      })
    })
  }

  get port(): number { return ((this.front ?? this.server).address() as { port: number } | null)?.port ?? 0 }

  /** Stops accepting, lets in-flight requests finish for up to `drainMs`, then closes what is left. */
  close(drainMs: number): Promise<void> {
    this.draining = true
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.server.closeAllConnections?.()
        for (const s of this.sockets) s.destroy()
        for (const s of this.h2Sessions) s.destroy()
        resolve()
      }, drainMs)
      timer.unref()
      if (this.h1Sweep !== null) { clearInterval(this.h1Sweep); this.h1Sweep = null }
      this.h2Timeouts.stop()
      for (const s of this.h2Sessions) s.close()          // GOAWAY: in-flight streams finish
      const done = () => { clearTimeout(timer); resolve() }
      // A listener fed by accept() (its port kept by a SwitchablePort) waits for its own connections too.
      if (this.front || !this.server.listening) {
        this.front?.close()
        this.server.close()                               // stops its timeout checks; it never listened
        this.closeIdle()
        const poll = setInterval(() => { if (this.sockets.size === 0 && this.h2Sessions.size === 0) { clearInterval(poll); done() } }, 50)
        poll.unref()
      } else this.server.close(done)
      this.closeIdle()
    })
  }

  private track(s: Socket): void {
    s.setNoDelay(true)
    this.sockets.add(s)
    s.once('close', () => this.sockets.delete(s))
  }

  /** The size limits of ClientTrafficPolicy, or null when the request is within them. */
  private checkLimits(req: IncomingMessage): ProxyError | null {
    const ct = this.ct
    const url = req.url ?? '/'
    if (url.length > ct.maxUrlBytes) return new ProxyError('too_large', `request target longer than ${ct.maxUrlBytes} bytes`, 414)
    const raw = req.rawHeaders
    if (raw.length > 2 * ct.maxRequestHeaders) return new ProxyError('too_large', `more than ${ct.maxRequestHeaders} request headers`, 431)
    if (ct.maxRequestHeadersBytes < this.parserHeaderBytes) {
      let bytes = url.length + (req.method?.length ?? 0) + 12
      for (let i = 0; i < raw.length; i += 2) bytes += raw[i].length + raw[i + 1].length + 4
      if (bytes > ct.maxRequestHeadersBytes) return new ProxyError('too_large', `request headers exceed ${ct.maxRequestHeadersBytes} bytes`, 431)
    }
    if (ct.maxRequestBodyBytes > 0) {
      const cl = req.headers['content-length']
      if (cl !== undefined && Number(cl) > ct.maxRequestBodyBytes) {
        return new ProxyError('too_large', `request body exceeds ${ct.maxRequestBodyBytes} bytes`, 413)
      }
    }
    return null
  }

  /** A request refused before routing (size limits, a bad path), as taps see it: its target as sent. */
  private refused(req: IncomingMessage, res: ServerResponse): Exchange {
    const target = req.url ?? '/'
    const q = target.indexOf('?')
    return new Exchange(req, res, q < 0 ? target : target.slice(0, q), q < 0 ? null : target.slice(q + 1), {}, nowMs(), peerAddress(req))
  }

  /** Limits, path normalization and forwarding headers: the Exchange, or the error to answer with. */
  private admit(req: IncomingMessage, res: ServerResponse | null): Exchange | ProxyError {
    const limit = this.checkLimits(req)
    if (limit) return limit
    const norm = normalizePath(req.url ?? '/', this.paths)
    if ('error' in norm) return new ProxyError('bad_request', norm.error)
    const peer = peerAddress(req)
    const client = this.opts.edge ? trustedClientAddress(req.headers['x-forwarded-for'] as string | undefined, peer, this.ct.trustedHops) : peer
    const headers = forwardRequestHeaders(req.headers, this.forwarding, peer)
    if (this.opts.stripMeshHeaders) {                  // a sidecar's inbound: tell the app who called, as mTLS proved it
      const identity = peerIdentityOf(req.socket)
      if (identity !== null) {
        headers['x-trellis-peer-identity'] = identity
        // Only a Gateway authenticates consumers: from anyone else the header is a forgery, and stays stripped.
        const consumer = req.headers['x-trellis-consumer']
        if (consumer !== undefined && !this.opts.edge && isGatewayIdentity(identity)) headers['x-trellis-consumer'] = consumer
      }
    }
    const x = new Exchange(req, res as ServerResponse, norm.path, norm.query, headers, nowMs(), client)
    if (this.tracer !== null) this.tracer.start(x, this.opts.name, this.opts.edge || this.opts.stripMeshHeaders ? 2 : 3)
    return x
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.draining) res.shouldKeepAlive = false
    if (req.httpVersionMajor === 2 && this.ct.requestTimeoutMs > 0) this.h2Timeouts.track(res)
    const x = this.admit(req, res)
    if (x instanceof ProxyError) {
      if (x.status === 413) {
        res.shouldKeepAlive = false
        // Node's own HTTP/1.1 server would destroy the connection while the body still arrives.
        if (req.httpVersionMajor === 1 && !(req instanceof H1Request)) lingerAfterResponse(req.socket)
      }
      const tap = this.callerTap !== null && this.callerTap.active ? this.callerTap : null
      const seen = tap !== null || this.rejected !== null ? this.refused(req, res) : null
      if (tap !== null && seen !== null) tap.watch(seen, null)
      respondError(res, x)
      req.resume()
      if (this.rejected !== null && seen !== null) this.rejected(x.status, seen)
      return
    }
    // The fast path's requests count their own body bytes (H1Request.maxBodyBytes).
    if (this.ct.maxRequestBodyBytes > 0 && !(req instanceof H1Request)) limitBody(req, res, this.ct.maxRequestBodyBytes)
    const host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? ''
    const policies = this.policiesOf(host)
    const router = policies.router
    const claimed = policies.claimRouted
    if (policies.claimFilled !== null) dropClientCopies(x.headers, policies.claimFilled)
    // Matching is pure, so doing it first changes nothing but lets a route's SecurityPolicy apply.
    const route = router === null ? null
      : router.match(host, x.path, x.query, req.method ?? 'GET', claimed === null ? req.headers : headersWithout(req.headers, claimed))
    x.matched = route
    if (this.callerTap !== null && this.callerTap.active) this.callerTap.watch(x, route)
    const gate = route?.gate ?? policies.security
    if (gate === null) this.authorize(x, router !== null, route, policies)
    else {
      gate.handle(x, route?.route ?? null,
        () => this.authorize(x, router !== null, claimed === null ? route : this.requestRouteByClaims(x, host, route, gate, policies), policies))
    }
  }

  /** routeByClaims for a request: a tap watching it for the route first matched lets it go
   *  (x.matched changed), and watches it again for the route it went to. */
  private requestRouteByClaims(x: Exchange, host: string, route: RequestHandler | null, gate: RequestGate, policies: ListenerPolicies): RequestHandler | null {
    const final = this.routeByClaims(x, host, route, gate, policies)
    if (final !== route && this.callerTap !== null && this.callerTap.active) this.callerTap.watch(x, final)
    return final
  }

  /** Once `gate` has set the claim headers routes match on: the route they pick, when `gate` judges
   *  it too (a route with a policy of its own is never entered on the strength of another's); else `route`. */
  private routeByClaims(x: Exchange, host: string, route: RequestHandler | null, gate: RequestGate, policies: ListenerPolicies): RequestHandler | null {
    const router = policies.router
    if (router === null || policies.claimRouted === null) return route
    const again = router.match(host, x.path, x.query, x.req.method ?? 'GET', headersWithClaims(x.req.headers, x.headers, policies.claimRouted))
    if (again === null || again === route || (again.gate ?? policies.security) !== gate) return route
    x.route = again.route ?? null
    x.matched = again
    return again
  }

  /** The routes and policies a request to `host` gets: its own listener's on a shared port, else this one's. */
  private policiesOf(host: string): ListenerPolicies {
    return this.policiesByHost === null ? this : this.policiesByHost(host) ?? this
  }

  /** The listener's AuthorizationPolicy and RateLimitPolicy (after authentication), then the route. */
  private authorize(x: Exchange, configured: boolean, route: RequestHandler | null, policies: ListenerPolicies): void {
    const req = x.req
    const { authorizer, limiter } = policies
    const denied = authorizer === null ? null : authorizer.check(this.callerOf(x), req.method ?? 'GET', x.path)
    if (denied !== null) { this.reject(x, new ProxyError('denied', denied)); return }
    if (limiter === null) { this.dispatch(x, configured, route); return }
    limiter.admit(x, this.callerOf(x), wait => {
      if (wait > 0) { rateLimited(x, wait); if (this.rejected !== null) this.rejected(429, x); return }
      this.dispatch(x, configured, route)
    })
  }

  private dispatch(x: Exchange, configured: boolean, route: RequestHandler | null): void {
    const req = x.req
    if (!configured) { this.reject(x, new ProxyError('unavailable', 'no configuration yet')); return }
    if (!route) { this.reject(x, new ProxyError('no_route', `no route for ${req.method} ${x.path}`)); return }
    route.handle(x)
  }

  private reject(x: Exchange, err: ProxyError): void {
    respondError(x.res, err)
    x.req.resume()
    if (this.rejected !== null) this.rejected(err.status, x)
  }

  /** Who is calling, for AuthorizationPolicy: at a Gateway `gateway:<consumer>` or `anonymous`; at a
   *  sidecar's inbound port the identity mTLS proved, or null on plaintext. */
  private callerOf(x: Exchange): string | null {
    return this.opts.edge ? edgeCaller(x.consumer) : peerIdentityOf(x.req.socket)
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    if (!isWebSocketUpgrade(req)) { handBack(this.server, req, socket as Socket, head, this.opts.tls !== undefined); return }
    if (this.draining) { rejectUpgrade(socket, new ProxyError('unavailable', 'draining')); return }
    const x = this.admit(req, null)
    if (x instanceof ProxyError) { rejectUpgrade(socket, x); return }
    const host = req.headers.host ?? ''
    const policies = this.policiesOf(host)
    const claimed = policies.claimRouted
    if (policies.claimFilled !== null) dropClientCopies(x.headers, policies.claimFilled)
    const matchHeaders = claimed === null ? req.headers : headersWithout(req.headers, claimed)
    const route = policies.router?.match(host, x.path, x.query, req.method ?? 'GET', matchHeaders) ?? null
    const gate = route?.gate ?? policies.security
    if (gate === null) this.dispatchUpgrade(x, socket, head, route, policies)
    else {
      gate.upgrade(x, route?.route ?? null,
        () => this.dispatchUpgrade(x, socket, head, claimed === null ? route : this.routeByClaims(x, host, route, gate, policies), policies),
        err => rejectUpgrade(socket, err))
    }
  }

  private dispatchUpgrade(x: Exchange, socket: Duplex, head: Buffer, route: RequestHandler | null, policies: ListenerPolicies): void {
    const req = x.req
    const { authorizer, limiter } = policies
    const denied = authorizer === null ? null : authorizer.check(this.callerOf(x), req.method ?? 'GET', x.path)
    if (denied !== null) { rejectUpgrade(socket, new ProxyError('denied', denied)); return }
    if (!route || !route.upgrade) { rejectUpgrade(socket, new ProxyError('no_route', `no route for ${req.method} ${x.path}`)); return }
    const upgrade = route.upgrade.bind(route)
    if (limiter === null) { upgrade(x, socket, head, this.ct.idleTimeoutMs); return }
    limiter.admit(x, this.callerOf(x), wait => {
      if (wait > 0) rejectUpgrade(socket, new ProxyError('rate_limited', `rate limit reached; retry in ${Math.ceil(wait)} ms`))
      else upgrade(x, socket, head, this.ct.idleTimeoutMs)
    })
  }
}

/** The address of the connection's other end (an HTTP/2 request's socket is its session's proxy). */
function peerAddress(req: IncomingMessage): string {
  return clientAddress(req.socket.remoteAddress ?? (req.socket as unknown as { stream?: { remoteAddress?: string } }).stream?.remoteAddress)
}

/** Answers what the parser refused and closes; null when the client had already gone, or the error
 *  is not the HTTP parser's. A TLS listener reports failed handshakes here too (ERR_TLS_HANDSHAKE_TIMEOUT,
 *  ERR_SSL_…): such a socket has no TLS session to carry an answer, so writing one would never
 *  finish and the connection would be held for good. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): { status: number; reason: string } | null {
  // Answered already: the parser, still fed until then, refused more of the same bytes (or their end).
  if (isLingering(socket)) return null
  const code = err.code ?? ''
  if (!socket.writable || !(code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT')) { socket.destroy(); return null }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW'
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
  const status = tooLarge ? 431 : timeout ? 408 : 400
  const reason = tooLarge ? 'too_large' : timeout ? 'timeout' : 'bad_request'
  const text = tooLarge ? 'Request Header Fields Too Large' : timeout ? 'Request Timeout' : 'Bad Request'
  // The client may still be sending the head it refused: what follows is read and dropped for a
  // while, so the answer is not lost to a reset.
  closeLingering(socket, closingResponse(status, text, reason, err.code ?? 'malformed request'))
  return { status, reason }
}
