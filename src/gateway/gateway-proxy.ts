// The edge proxy of one Gateway: a server per Gateway listener port (HTTP, HTTPS, TCP, TLS
// passthrough), routing by hostname and path (or SNI) with the same router and balancers as the sidecars.
import type { Server } from 'node:http'
import { startAdminServer } from '../dataplane/admin-server.js'
import { ConfigClient } from '../dataplane/config-client.js'
import type { CertificateStore } from '../dataplane/listener/tls-certificates.js'
import { SwitchablePort } from '../dataplane/listener/switchable-port.js'
import { ClusterSet } from '../dataplane/upstream/cluster-set.js'
import { MeshCertificate } from '../dataplane/mtls/mesh-certificate.js'
import { routeAuthorizers } from '../dataplane/authz/authorizer.js'
import { RateLimitState, routeLimiters } from '../dataplane/ratelimit/rate-limiter.js'
import { Tracer } from '../dataplane/tracing/tracer.js'
import { DEFAULT_MESH } from '../ir/mesh.js'
import type { QualifiedName } from '../ir/index.js'
import type { GatewaySnapshot, Snapshot } from '../snapshot/types.js'
import { ProxyMetrics } from '../telemetry/proxy-metrics.js'
import { TapHub } from '../telemetry/tap-hub.js'
import { takeStats } from '../telemetry/series-delta.js'
import { TapControl } from '../dataplane/tap/tap-control.js'
import { GatewayTap } from '../dataplane/tap/gateway-tap.js'
import { newStore, planPorts, portKind, PortServer, terminatesTls } from './gateway-ports.js'
import { SecurityRuntime } from './security/security-runtime.js'

export interface GatewayOptions {
  readonly gateway: QualifiedName
  readonly controlPlane: string
  readonly token: string
  readonly listenAddress?: string
  readonly adminPort?: number
  readonly log?: (line: string) => void
}

export class GatewayProxy {
  readonly metrics = new ProxyMetrics()
  /** `trellis tap`: while a tap on a Service runs, routes to it tell its sidecars their name, and the
   *  requests for it the gateway answers itself (401, 403, 429, 503 …) are summarized; a tap of the
   *  Gateway itself (`--gateway`) gets every request it serves. */
  readonly tap = new TapHub()
  private readonly callerTap = new GatewayTap(this.tap)
  private readonly taps = new TapControl(this.tap, (id, batch) => this.client.post(`/api/v1/proxies/${this.client.proxyId}/taps/${id}`, batch))
  /** The gateway's mesh identity, for mTLS to the sidecars behind it. */
  readonly certificate = new MeshCertificate()
  private readonly clusters = new ClusterSet(this.certificate)
  /** Rate-limit buckets, kept across snapshots. */
  private readonly limits: RateLimitState
  private readonly tracer: Tracer
  /** SecurityPolicies' key sets, API keys and audit logs, kept across snapshots. */
  private readonly security: SecurityRuntime
  private readonly listeners = new Map<number, PortServer>()
  /** The bound ports, by number; each hands its connections to the port's server in `listeners`. */
  private readonly ports = new Map<number, SwitchablePort>()
  private readonly client: ConfigClient
  private admin: Server | null = null
  private snapshot: GatewaySnapshot | null = null
  private readonly host: string
  private readonly log: (line: string) => void

  constructor(private readonly opts: GatewayOptions) {
    this.metrics.addCollector(() => this.clusters.metricsText())
    this.host = opts.listenAddress ?? '127.0.0.1'
    this.log = opts.log ?? (line => process.stderr.write(`${line}\n`))
    this.limits = new RateLimitState(this.log)
    this.security = new SecurityRuntime(this.log)
    this.metrics.addCollector(() => this.limits.metricsText())
    this.tracer = new Tracer({ 'service.name': `gateway:${opts.gateway}`, 'trellis.proxy.kind': 'gateway' }, this.log)
    this.metrics.addCollector(() => this.tracer.metricsText())
    this.client = new ConfigClient({
      controlPlane: opts.controlPlane, token: opts.token, log: this.log,
      registration: () => ({ kind: 'gateway', gateway: opts.gateway, pid: process.pid, adminAddress: `127.0.0.1:${this.adminPort}` }),
      apply: snap => this.apply(snap),
      appReady: () => true,
      observe: () => this.clusters.observe(),
      certificate: this.certificate,
      stats: () => takeStats(this.metrics),
      onControl: msg => this.taps.handle(msg),
      onDisconnect: () => this.taps.clear(),
    })
  }

  /** How long in-flight work may take on shutdown: the Mesh's drainTimeout (TRELLIS_DRAIN_TIMEOUT_MS
   *  before the first config arrives). */
  get drainTimeoutMs(): number {
    return this.snapshot?.mesh.drainTimeoutMs ?? Number(process.env.TRELLIS_DRAIN_TIMEOUT_MS ?? 10_000)
  }

  get adminPort(): number { return (this.admin?.address() as { port: number } | null)?.port ?? 0 }
  get ackedVersion(): number { return this.client.ackedVersion }

  async start(): Promise<void> {
    this.admin = await startAdminServer({
      metrics: this.metrics,
      ready: () => this.snapshot !== null,
      config: () => ({ version: this.client.ackedVersion, connected: this.client.connected, identity: this.client.identity, certificate: this.certificate.view(), snapshot: this.snapshot }),
    }, this.opts.adminPort ?? 0)
    this.client.start()
  }

  /** Binds new ports and loads certificates first; if any fails, the snapshot is refused whole. */
  async apply(snap: Snapshot): Promise<void> {
    if (snap.kind !== 'gateway') throw new Error(`expected a gateway snapshot, got ${snap.kind}`)
    const plans = planPorts(snap.gateway.listeners, this.log)
    const gates = await this.security.build(snap)
    const bound: [SwitchablePort, PortServer][] = []
    // A port changing protocol (or TLS mode) keeps its socket: its new server takes it over when the
    // snapshot is applied, and the old one drains what it has (no bind, so it cannot fail).
    const switched: PortServer[] = []
    const stores = new Map<number, CertificateStore>()
    const undo = async () => {
      for (const s of stores.values()) s.close()
      for (const [port] of bound) port.close()
      await Promise.all([...bound.map(([, server]) => server.close(0)), ...switched.map(server => server.close(0))])
    }
    // Every new port is bound before anything changes: a port that cannot be bound refuses the
    // snapshot while every listener of the last good one still serves.
    for (const plan of plans) {
      const existing = this.listeners.get(plan.port)
      try {
        if (existing && existing.kind === portKind(plan)) {
          if (terminatesTls(plan)) stores.set(plan.port, newStore(plan, this.log))
          continue
        }
        const server = new PortServer(plan, this.log)
        if (existing) { switched.push(server); continue }
        const port = new SwitchablePort()
        bound.push([port, server])
        await port.listen(plan.port, this.host)
        port.serve(server)
      } catch (err) {
        await undo()
        throw new Error(`cannot listen on ${this.host}:${plan.port}: ${(err as Error).message}`)
      }
    }
    this.clusters.update(snap.clusters)
    for (const [port, server] of bound) { this.ports.set(server.plan.port, port); this.listeners.set(server.plan.port, server) }
    const ctx = {
      gateway: snap.gateway.name, clusters: this.clusters.byService, metrics: this.metrics,
      authorization: routeAuthorizers(snap.routeAuthorization ?? {}), edge: true, listenerAuthorization: snap.authorization ?? {}, tap: this.tap,
      rateLimits: routeLimiters(snap.routeRateLimits ?? {}, this.limits), listenerRateLimits: snap.rateLimits ?? {}, limitState: this.limits,
      security: gates.routes, listenerSecurity: gates.listeners,
    }
    this.tracer.configure(snap.mesh.tracing ?? DEFAULT_MESH.tracing)
    for (const server of switched) {
      const old = this.listeners.get(server.plan.port)!
      this.listeners.set(server.plan.port, server)
      void old.close(snap.mesh.drainTimeoutMs)                  // its open connections finish there
    }
    for (const plan of plans) {
      const server = this.listeners.get(plan.port)!
      server.update(plan, stores.get(plan.port) ?? null, ctx, this.clusters.byService)
      if (server.http) { server.http.tracer = this.tracer; server.http.callerTap = this.callerTap; server.http.parserRefusals = this.callerTap }
      const port = this.ports.get(plan.port)!
      port.maxConnections = server.maxConnections
      port.serve(server)                                         // a switched port: new connections get the new protocol
    }
    const wanted = new Set(plans.map(p => p.port))
    for (const [port, listener] of this.listeners) {
      if (!wanted.has(port)) { this.listeners.delete(port); this.ports.get(port)?.close(); this.ports.delete(port); void listener.close(snap.mesh.drainTimeoutMs) }
    }
    this.security.sweep()
    this.snapshot = snap
  }

  /** Stops taking new connections, finishes in-flight requests for up to `drainMs`. */
  async stop(drainMs: number): Promise<void> {
    this.client.stop()                    // no snapshot applied while draining may bind a port again
    this.taps.clear()
    for (const port of this.ports.values()) port.close()
    await Promise.all([...this.listeners.values()].map(l => l.close(drainMs)))
    this.limits.close()
    this.tracer.close()
    await this.security.close()
    this.admin?.close()
    this.clusters.close()
  }
}
