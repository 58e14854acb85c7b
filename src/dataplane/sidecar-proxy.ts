// The sidecar: an inbound listener in front of the app, one outbound listener per upstream Service,
// an admin port, and the link to the control plane. Each snapshot builds new routers, then swaps them.
import type { Server } from 'node:http'
import type { RouteTableIR, QualifiedName } from '../ir/index.js'
import { DEFAULT_TRAFFIC_POLICY } from '../ir/index.js'
import type { ClusterIR, SidecarSnapshot, Snapshot } from '../snapshot/types.js'
import { ProxyMetrics } from '../telemetry/proxy-metrics.js'
import { startAdminServer } from './admin-server.js'
import { AppProbe } from './app-probe.js'
import { buildRouter } from './build/build-router.js'
import { ConfigClient } from './config-client.js'
import { HttpListener } from './listener/http-listener.js'
import { InboundListener } from './listener/inbound-listener.js'
import { TcpListener } from './listener/tcp-listener.js'
import { SwitchablePort } from './listener/switchable-port.js'
import { streamRouterFromTable } from './build/stream-router.js'
import { Cluster } from './upstream/cluster.js'
import { ClusterSet } from './upstream/cluster-set.js'
import { MeshCertificate } from './mtls/mesh-certificate.js'
import { routeAuthorizers } from './authz/authorizer.js'
import { RateLimiter, RateLimitState, routeLimiters } from './ratelimit/rate-limiter.js'
import { Tracer } from './tracing/tracer.js'
import { DEFAULT_MESH } from '../ir/mesh.js'
import { TapHub } from '../telemetry/tap-hub.js'
import { takeStats } from '../telemetry/series-delta.js'
import { inboundObserver } from './build/inbound-observer.js'
import { TapControl } from './tap/tap-control.js'
import { CallerTap } from './tap/caller-tap.js'
import { InboundParserRefusals } from './tap/parser-refusal.js'
import { healthCheckRequest } from './upstream/health-check-request.js'

export interface SidecarOptions {
  readonly workload: QualifiedName
  readonly replica: number
  readonly appPort: number
  readonly appHost?: string
  readonly inboundPort?: number
  readonly adminPort?: number
  readonly upstreamPorts?: ReadonlyMap<string, number>   // service (short or qualified) → local port
  readonly incarnation?: string
  readonly controlPlane: string
  readonly token: string
  readonly host?: string
  readonly log?: (line: string) => void
}

const APP_CLUSTER = 'local/app'

/** An upstream Service's local port, and the listener serving it now (HTTP, or TCP for tcp Services). */
interface Outbound { readonly bound: SwitchablePort; readonly listener: HttpListener | TcpListener }

export class SidecarProxy {
  readonly metrics = new ProxyMetrics()
  /** `trellis tap`: inbound summaries while a tap listens; route names to callees, and the requests the
   *  outbound side answers itself, while one asks. */
  readonly tap = new TapHub()
  private readonly taps: TapControl
  /** This sidecar's mesh identity: its key pair, and the certificate the control plane issues for it. */
  readonly certificate = new MeshCertificate()
  private readonly clusters = new ClusterSet(this.certificate)
  /** Rate-limit buckets, kept across snapshots. */
  private readonly limits: RateLimitState
  readonly tracer: Tracer
  private readonly inbound: InboundListener
  /** HTTP listeners for http/http2/grpc upstream Services, TCP listeners for tcp ones, each on its port. */
  private readonly outbound = new Map<QualifiedName, Outbound>()
  private readonly appCluster: Cluster
  private readonly appClusterIR: ClusterIR
  private readonly probe: AppProbe
  private readonly client: ConfigClient
  private admin: Server | null = null
  private snapshot: SidecarSnapshot | null = null
  private readonly host: string
  private readonly log: (line: string) => void

  constructor(private readonly opts: SidecarOptions) {
    this.metrics.addCollector(() => this.clusters.metricsText())
    this.host = opts.host ?? '127.0.0.1'
    this.log = opts.log ?? (line => process.stderr.write(`${line}\n`))
    this.limits = new RateLimitState(this.log)
    this.metrics.addCollector(() => this.limits.metricsText())
    this.tracer = new Tracer({ 'service.name': opts.workload, 'service.instance.id': `${opts.workload}/${opts.replica}`, 'trellis.proxy.kind': 'sidecar' }, this.log)
    this.metrics.addCollector(() => this.tracer.metricsText())
    const appHost = opts.appHost ?? '127.0.0.1'
    this.appClusterIR = {
      service: APP_CLUSTER, protocol: 'http', port: opts.appPort, policy: { ...DEFAULT_TRAFFIC_POLICY, loadBalancer: { type: 'RoundRobin', hashOn: null } },
      healthCheck: null, endpoints: [{ address: `${appHost}:${opts.appPort}`, instance: null, labels: {}, mesh: false, identity: null }],
    }
    this.appCluster = new Cluster(APP_CLUSTER, this.appClusterIR)
    this.inbound = new InboundListener({ route: 'inbound', service: APP_CLUSTER, cluster: this.appCluster }, this.certificate)
    this.inbound.http.tracer = this.tracer
    this.inbound.router = buildRouter(defaultTable(APP_CLUSTER), {
      listener: 'inbound', clusters: new Map([[APP_CLUSTER, this.appCluster]]), metrics: this.metrics, scheme: 'http', port: opts.appPort,
      inboundTap: this.tap,
    })
    // Requests the inbound listener answers itself (denied, rate limited) count too.
    this.inbound.http.rejected = inboundObserver(this.metrics.callerSeries({ listener: 'inbound', route: 'inbound', backend: '' }), this.tap)
    // …and so do heads its HTTP parser refuses, for taps only (there is no request to count).
    this.inbound.http.parserRefusals = new InboundParserRefusals(this.tap)
    this.taps = new TapControl(this.tap, (id, batch) => this.client.post(`/api/v1/proxies/${this.client.proxyId}/taps/${id}`, batch))
    this.probe = new AppProbe(opts.appPort, appHost, () => this.client.reportNow())
    this.client = new ConfigClient({
      controlPlane: opts.controlPlane, token: opts.token, log: this.log,
      registration: () => ({
        kind: 'sidecar', workload: opts.workload, replica: opts.replica, pid: process.pid,
        adminAddress: `${this.host}:${this.adminPort}`, inboundAddress: `${this.host}:${this.inbound.port}`,
        incarnation: opts.incarnation ?? `${process.pid}`,
      }),
      apply: snap => this.apply(snap),
      appReady: () => this.probe.ready,
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
  get inboundPort(): number { return this.inbound.port }
  get ackedVersion(): number { return this.client.ackedVersion }
  /** mTLS handshakes accepted and refused at the inbound port. */
  inboundStats(): { accepted: number; rejected: number } { return this.inbound.mtlsStats() }
  outboundPort(service: QualifiedName): number { return this.outbound.get(service)?.bound.port ?? 0 }

  async start(): Promise<void> {
    await this.inbound.listen(this.opts.inboundPort ?? 0, this.host)
    this.admin = await startAdminServer({
      metrics: this.metrics,
      ready: () => this.snapshot !== null,
      config: () => ({
        version: this.client.ackedVersion, identity: this.client.identity, connected: this.client.connected,
        certificate: this.certificate.view(), mtls: this.inbound.mtlsStats(),
        inbound: `${this.host}:${this.inbound.port}`, app: `127.0.0.1:${this.opts.appPort}`,
        outbound: Object.fromEntries([...this.outbound].map(([s, o]) => [s, `${this.host}:${o.bound.port}`])),
        snapshot: this.snapshot,
      }),
    }, this.opts.adminPort ?? 0, this.host)
    this.probe.start()
    this.client.start()
  }

  /** Builds everything for the new snapshot first; only then swaps it in. Throws to reject it. */
  async apply(snap: Snapshot): Promise<void> {
    if (snap.kind !== 'sidecar') throw new Error(`expected a sidecar snapshot, got ${snap.kind}`)
    // Bind new ports first: if one fails, nothing of this snapshot has been applied.
    const bound: [QualifiedName, Outbound][] = []
    const moved: Outbound[] = []                          // drained once the listeners on their new ports are in
    // A Service that changed protocol keeps its port: the new listener takes it over when the
    // snapshot is applied, and the old one drains what it has (no bind, so it cannot fail).
    const switched: [QualifiedName, HttpListener | TcpListener][] = []
    for (const ol of snap.outbound) {
      const existing = this.outbound.get(ol.service)
      const port = this.portFor(ol.service, ol.localPort)
      const samePort = existing !== undefined && (port === 0 || existing.bound.port === port)
      const sameProtocol = existing !== undefined && (existing.listener instanceof TcpListener) === (ol.protocol === 'tcp')
      if (samePort && sameProtocol) continue
      const listener = this.outboundListener(ol.service, ol.protocol === 'tcp')
      if (samePort) { switched.push([ol.service, listener]); continue }
      if (existing) moved.push(existing)                                                  // its localPort changed
      const ports = new SwitchablePort()
      try { await ports.listen(port, this.host) } catch (err) {
        for (const [, o] of bound) { o.bound.close(); void o.listener.close(0) }
        for (const [, l] of switched) void l.close(0)
        void listener.close(0)
        throw new Error(`cannot listen for ${ol.service} on ${this.host}:${port}: ${(err as Error).message}`)
      }
      ports.serve(listener)
      bound.push([ol.service, { bound: ports, listener }])
    }
    this.clusters.update(snap.clusters)
    this.tracer.configure(snap.mesh.tracing ?? DEFAULT_MESH.tracing)
    const routers = new Map<QualifiedName, ReturnType<typeof buildRouter>>()
    const streams = new Map<QualifiedName, ReturnType<typeof streamRouterFromTable>>()
    const authorization = routeAuthorizers(snap.routeAuthorization)
    const rateLimits = routeLimiters(snap.routeRateLimits ?? {}, this.limits)
    for (const ol of snap.outbound) {
      if (ol.protocol === 'tcp') { streams.set(ol.service, streamRouterFromTable(ol.routes, this.clusters.byService)); continue }
      routers.set(ol.service, buildRouter(ol.routes, {
        listener: `outbound|${ol.service}`, clusters: this.clusters.byService, metrics: this.metrics, scheme: 'http', port: ol.port,
        authorization, rateLimits, caller: this.certificate.identity || this.client.identity || null, tap: this.tap,
      }))
    }
    for (const [service, o] of bound) this.outbound.set(service, o)
    for (const o of moved) { o.bound.close(); void o.listener.close(snap.mesh.drainTimeoutMs) }   // in-flight requests finish there
    for (const [service, listener] of switched) {
      const old = this.outbound.get(service)!
      old.bound.serve(listener)                                  // new connections: the new protocol
      this.outbound.set(service, { bound: old.bound, listener })
      void old.listener.close(snap.mesh.drainTimeoutMs)          // its open connections finish there
    }
    for (const [service, router] of routers) (this.outbound.get(service)!.listener as HttpListener).router = router
    for (const [service, router] of streams) (this.outbound.get(service)!.listener as TcpListener).router = router
    const inboundLimits = snap.inbound.rateLimits ? new RateLimiter(snap.inbound.rateLimits, this.limits, healthCheckRequest(snap.inbound.healthCheck, snap.inbound.protocol)) : null
    this.inbound.configure(snap.inbound.protocol, snap.inbound.clientTraffic ?? null, snap.mesh.mtls, snap.inbound.authorization ?? null, inboundLimits)
    for (const [service, o] of this.outbound) {
      if (!routers.has(service) && !streams.has(service)) { this.outbound.delete(service); o.bound.close(); void o.listener.close(snap.mesh.drainTimeoutMs) }
    }
    this.probe.use(snap.inbound.healthCheck, snap.inbound.protocol)
    // Apps of http2 and grpc Services are reached over h2c.
    const appProtocol = snap.inbound.protocol === 'http2' || snap.inbound.protocol === 'grpc' ? snap.inbound.protocol : 'http'
    if (this.appCluster.protocol !== appProtocol) this.appCluster.update({ ...this.appClusterIR, protocol: appProtocol })
    this.snapshot = snap
  }

  async stop(drainMs: number): Promise<void> {
    this.client.stop()
    this.taps.clear()
    this.probe.stop()
    for (const o of this.outbound.values()) o.bound.close()
    await Promise.all([this.inbound.close(drainMs), ...[...this.outbound.values()].map(o => o.listener.close(drainMs))])
    this.admin?.close()
    this.clusters.close()
    this.appCluster.close()
    this.limits.close()
    this.tracer.close()
  }

  /** A listener for an upstream Service, served connections by its SwitchablePort. */
  private outboundListener(service: QualifiedName, tcp: boolean): HttpListener | TcpListener {
    const name = `outbound|${service}`
    if (tcp) return new TcpListener({ name, sniff: false, log: this.log })
    const listener = new HttpListener({ name, proto: 'http', edge: false, stripMeshHeaders: false })
    listener.tracer = this.tracer
    const callerTap = new CallerTap(this.tap, service)
    listener.callerTap = callerTap
    listener.parserRefusals = callerTap
    listener.serveAccepted()
    return listener
  }

  private portFor(service: QualifiedName, localPort: number | null): number {
    const given = this.opts.upstreamPorts
    const short = service.slice(service.indexOf('/') + 1)
    return given?.get(service) ?? given?.get(short) ?? localPort ?? 0
  }
}

function defaultTable(service: string): RouteTableIR {
  return { hosts: [{ hostname: '*', entries: [{
    route: 'inbound', rule: 0, match: 0, path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [],
    filters: [], backends: [{ service, weight: 1, filters: [] }], timeouts: { requestMs: null, backendRequestMs: 0 }, retry: null, fault: null,
  }] }] }
}
