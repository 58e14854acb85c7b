// A Gateway's listeners grouped by port: one server per port, serving every listener of that port
// (HTTP; HTTPS with certificates by SNI; TCP; TLS passthrough or terminated, routed by SNI). A port's
// protocol (and TLS mode) is that of its first listener (by name); listeners of another protocol or
// mode on the same port are skipped and logged. The port itself is bound by a SwitchablePort that
// hands the server its connections, so a port changing protocol, or TLS mode, is served by a new
// PortServer without being closed.
import type { ClientTrafficIR, ListenerIR, ListenerProtocol, StreamRouteIR } from '../ir/index.js'
import { buildRouter } from '../dataplane/build/build-router.js'
import type { RouteBuildContext } from '../dataplane/build/compiled-route.js'
import { Authorizer } from '../dataplane/authz/authorizer.js'
import { mergeAuthorization, type AuthorizationIR } from '../ir/authorization.js'
import { mergeRateLimits, type RateLimitsIR } from '../ir/rate-limit.js'
import { RateLimiter, type RateLimitState } from '../dataplane/ratelimit/rate-limiter.js'
import { buildStreamRouter, sortBySpecificity } from '../dataplane/build/stream-router.js'
import { HttpListener, type RequestGate } from '../dataplane/listener/http-listener.js'
import { claimFilledHeaders, claimRoutedHeaders } from '../dataplane/listener/claim-routing.js'
import { TcpListener } from '../dataplane/listener/tcp-listener.js'
import { CertificateStore } from '../dataplane/listener/tls-certificates.js'
import { TlsTerminator } from './tls-terminate.js'
import { listenerByHost } from './listener-by-host.js'
import type { Cluster } from '../dataplane/upstream/cluster.js'
import type { Socket } from 'node:net'

export interface PortPlan {
  readonly port: number
  readonly protocol: ListenerProtocol
  readonly listeners: readonly ListenerIR[]
}

export function planPorts(listeners: readonly ListenerIR[], log: (line: string) => void): PortPlan[] {
  const byPort = new Map<number, ListenerIR[]>()
  for (const l of listeners) {
    const list = byPort.get(l.port) ?? []
    if (list.length > 0 && list[0].protocol !== l.protocol) {
      log(`listener ${l.name}: port ${l.port} already serves ${list[0].protocol}; ${l.protocol} listener skipped`)
      continue
    }
    if (list.length > 0 && l.protocol === 'TLS' && (list[0].tls?.mode ?? 'Terminate') !== (l.tls?.mode ?? 'Terminate')) {
      log(`listener ${l.name}: port ${l.port} already serves TLS ${list[0].tls?.mode ?? 'Terminate'}; ${l.tls?.mode ?? 'Terminate'} listener skipped`)
      continue
    }
    list.push(l)
    byPort.set(l.port, list)
  }
  return [...byPort].map(([port, ls]) => ({ port, protocol: ls[0].protocol, listeners: ls }))
}

/** What a port's server is made for: its protocol and, for TLS, its mode (Terminate puts a TLS server
 *  in front of the stream listener, Passthrough routes by the ClientHello's SNI). A port whose kind
 *  changes gets a new PortServer, and the old one drains. */
export function portKind(plan: PortPlan): string {
  return plan.protocol === 'TLS' ? `TLS ${plan.listeners[0].tls?.mode ?? 'Terminate'}` : plan.protocol
}

/** Ports whose TLS ends at the gateway: HTTPS, and TLS listeners in Terminate mode. */
export function terminatesTls(plan: PortPlan): boolean {
  return plan.protocol === 'HTTPS' || (plan.protocol === 'TLS' && (plan.listeners[0].tls?.mode ?? 'Terminate') === 'Terminate')
}

/** The server of one port and what its current snapshot gave it; its connections come through accept(). */
export class PortServer {
  readonly http: HttpListener | null
  readonly tcp: TcpListener | null
  private certs: CertificateStore | null
  /** TLS listeners in Terminate mode: the TLS server in front of `tcp`. */
  private readonly terminator: TlsTerminator | null

  /** Throws when the certificates of an HTTPS port cannot be loaded. */
  constructor(public plan: PortPlan, log: (line: string) => void) {
    const ct = clientTrafficOf(plan)
    this.certs = terminatesTls(plan) ? newStore(plan, log) : null
    if (plan.protocol === 'HTTP' || plan.protocol === 'HTTPS') {
      const certs = () => this.certs!
      this.http = new HttpListener({
        name: `port ${plan.port}`, proto: plan.protocol === 'HTTPS' ? 'https' : 'http', edge: true, stripMeshHeaders: true, clientTraffic: ct,
        tls: this.certs ? { ...this.certs.serverOptions(), SNICallback: (name, cb) => cb(null, certs().contextFor(name)) } : undefined,
      })
      this.http.serveAccepted()
      this.watchDefault()
      this.tcp = null
      this.terminator = null
    } else {
      const tcp = new TcpListener({ name: `port ${plan.port}`, sniff: plan.protocol === 'TLS' && !this.certs, log })
      this.tcp = tcp
      this.http = null
      this.terminator = this.certs ? new TlsTerminator(this.certs, (s, name) => tcp.acceptNamed(s, name)) : null
    }
  }

  get kind(): string { return portKind(this.plan) }

  /** The port's connection limit (ClientTrafficPolicy), for the SwitchablePort that accepts for it. */
  get maxConnections(): number { return clientTrafficOf(this.plan)?.maxConnections ?? 10_000 }

  /** HTTP connections close with the client's side; stream ones pass half-closes on. */
  get allowHalfOpen(): boolean { return this.http === null }

  /** A new connection to this port. */
  accept(socket: Socket): void {
    if (this.http) this.http.accept(socket)
    else if (this.terminator) this.terminator.accept(socket)
    else this.tcp!.accept(socket)
  }

  /** Routes (and certificates) of a new snapshot; `certs` made beforehand so a bad file refuses the snapshot. */
  update(
    plan: PortPlan, certs: CertificateStore | null,
    ctx: Omit<RouteBuildContext, 'port' | 'scheme' | 'listener'> & {
      gateway: string; listenerAuthorization: Readonly<Record<string, AuthorizationIR>>
      listenerRateLimits: Readonly<Record<string, RateLimitsIR>>; limitState: RateLimitState
      listenerSecurity: ReadonlyMap<string, RequestGate>
    },
    clusters: ReadonlyMap<string, Cluster>,
  ): void {
    this.plan = plan
    const names = plan.listeners.map(l => l.name).join(',')
    if (this.http) {
      // Listeners sharing a port keep their own routes and policies, picked per request by Host (so a
      // route never serves a name another listener claims more specifically, and is judged by the
      // policies of the listener it was attached to). A Host no listener claims matches no route;
      // it meets the port's policies together (every DENY, the first SecurityPolicy by listener name).
      const authz = mergeAuthorization(plan.listeners.map(l => ctx.listenerAuthorization[l.name]))
      this.http.authorizer = authz ? new Authorizer(authz) : null
      const limits = mergeRateLimits(plan.listeners.map(l => ctx.listenerRateLimits[l.name]))
      this.http.limiter = limits ? new RateLimiter(limits, ctx.limitState) : null
      this.http.security = plan.listeners.map(l => ctx.listenerSecurity.get(l.name)).find(g => g !== undefined) ?? null
      this.http.claimRouted = plan.listeners.length === 1 ? claimRoutedHeaders(plan.listeners[0].routes, this.http.security, ctx.security) : null
      // A Host no listener claims meets the port's policies: client copies of any listener's claim headers go.
      this.http.claimFilled = claimFilledHeaders(plan.listeners.map(l => l.routes), plan.listeners.map(l => ctx.listenerSecurity.get(l.name) ?? null), ctx.security)
      const routeCtx = { ...ctx, listener: `${ctx.gateway}|${names}`, scheme: plan.protocol === 'HTTPS' ? 'https' as const : 'http' as const, port: plan.port }
      this.http.policiesByHost = plan.listeners.length === 1 ? null : listenerByHost(plan.listeners.map(l => {
        const own = ctx.listenerAuthorization[l.name], ownLimits = ctx.listenerRateLimits[l.name]
        const security = ctx.listenerSecurity.get(l.name) ?? null
        return {
          hostname: l.hostname,
          value: {
            router: buildRouter(l.routes, routeCtx),
            authorizer: own ? new Authorizer(own) : null,
            limiter: ownLimits ? new RateLimiter(ownLimits, ctx.limitState) : null,
            security,
            claimRouted: claimRoutedHeaders(l.routes, security, ctx.security),
            claimFilled: claimFilledHeaders([l.routes], [security], ctx.security),
          },
        }
      }))
      if (certs) { const old = this.certs; this.certs = certs; this.watchDefault(); old?.close() }
      this.http.configure(clientTrafficOf(plan))
      // On a shared port each listener routes by its own table (policiesByHost); a Host no listener
      // claims matches none of their routes, so the port's own table is empty: 404 no_route.
      this.http.router = buildRouter(plan.listeners.length === 1 ? plan.listeners[0].routes : { hosts: [] }, routeCtx)
    } else {
      if (certs && this.terminator) { const old = this.certs; this.certs = certs; this.terminator.use(certs); old?.close() }
      // Stream listeners judge whole connections, and their callers are all `anonymous`; on a shared
      // port, by the listener the SNI name selects (a name no listener claims: every listener's policies).
      const refuses = (a: AuthorizationIR | null | undefined) => !!a && new Authorizer(a).check('anonymous', null, null) !== null
      this.tcp!.refuseAll = refuses(mergeAuthorization(plan.listeners.map(l => ctx.listenerAuthorization[l.name])))
      this.tcp!.refusesByName = plan.listeners.length === 1 ? null
        : listenerByHost(plan.listeners.map(l => ({ hostname: l.hostname, value: refuses(ctx.listenerAuthorization[l.name]) })))
      const entries: StreamRouteIR[] = sortBySpecificity(plan.listeners.flatMap(l => l.tcpRoutes))
      this.tcp!.router = buildStreamRouter(entries, clusters)
    }
  }

  /** New connections get the new default certificate too (clients without SNI). */
  private watchDefault(): void {
    const certs = this.certs, server = this.http?.server as unknown as { setSecureContext?: (o: object) => void } | undefined
    if (!certs || !server?.setSecureContext) return
    const opts = certs.serverOptions()
    server.setSecureContext({ cert: opts.cert, key: opts.key })
    certs.onDefaultChange = (cert, key) => server.setSecureContext!({ cert, key })
  }

  async close(drainMs: number): Promise<void> {
    this.certs?.close()
    this.terminator?.server.close()
    await (this.http ?? this.tcp!).close(drainMs)
  }
}

export function newStore(plan: PortPlan, log: (line: string) => void): CertificateStore {
  return new CertificateStore(plan.listeners.map(l => ({ hostname: l.hostname, certificates: l.tls?.certificates ?? [] })), log)
}

function clientTrafficOf(plan: PortPlan): ClientTrafficIR | null {
  return plan.listeners.find(l => l.clientTraffic !== null)?.clientTraffic ?? null
}
