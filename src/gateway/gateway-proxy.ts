// The edge proxy of one Gateway: a server per Gateway listener port (HTTP, HTTPS, TCP, TLS
// passthrough), routing by hostname and path (or SNI) with the same router and balancers as the sidecars.
import type { Server } from 'node:http'
import { startAdminServer } from '../dataplane/admin-server.js'
import { ConfigClient } from '../dataplane/config-client.js'
import type { CertificateStore } from '../dataplane/listener/tls-certificates.js'
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
import { newStore, planPorts, PortServer, terminatesTls } from './gateway-ports.js'
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
    const bound: PortServer[] = []
    const stores = new Map<number, CertificateStore>()
    const undo = async () => {
      for (const s of stores.values()) s.close()
      await Promise.all(bound.map(l => l.close(0)))
    }
    // New ports are bound before any port changing protocol is closed: a port that cannot be bound
    // refuses the snapshot while every listener of the last good one still serves.
    const order = [...plans].sort((a, b) => Number(this.listeners.has(a.port)) - Number(this.listeners.has(b.port)))
    for (const plan of order) {
      const existing = this.listeners.get(plan.port)
      try {
        if (existing && existing.protocol === plan.protocol) {
          if (terminatesTls(plan)) stores.set(plan.port, newStore(plan, this.log))
          continue
        }
        if (existing) { this.listeners.delete(plan.port); await existing.close(0) }   // the port changed protocol
        const server = new PortServer(plan, this.log)
        bound.push(server)
        await server.listen(this.host)
      } catch (err) {
        await undo()
        throw new Error(`cannot listen on ${this.host}:${plan.port}: ${(err as Error).message}`)
      }
    }
    this.clusters.update(snap.clusters)
    for (const server of bound) this.listeners.set(server.plan.port, server)
    const ctx = {
      gateway: snap.gateway.name, clusters: this.clusters.byService, metrics: this.metrics,
      authorization: routeAuthorizers(snap.routeAuthorization ?? {}), edge: true, listenerAuthorization: snap.authorization ?? {}, tap: this.tap,
      rateLimits: routeLimiters(snap.routeRateLimits ?? {}, this.limits), listenerRateLimits: snap.rateLimits ?? {}, limitState: this.limits,
      security: gates.routes, listenerSecurity: gates.listeners,
    }
    this.tracer.configure(snap.mesh.tracing ?? DEFAULT_MESH.tracing)
    for (const plan of plans) {
      const server = this.listeners.get(plan.port)!
      server.update(plan, stores.get(plan.port) ?? null, ctx, this.clusters.byService)
      if (server.http) { server.http.tracer = this.tracer; server.http.callerTap = this.callerTap; server.http.parserRefusals = this.callerTap }
    }
    const wanted = new Set(plans.map(p => p.port))
    for (const [port, listener] of this.listeners) {
      if (!wanted.has(port)) { this.listeners.delete(port); void listener.close(snap.mesh.drainTimeoutMs) }
    }
    this.security.sweep()
    this.snapshot = snap
  }

  /** Stops taking new connections, finishes in-flight requests for up to `drainMs`. */
  async stop(drainMs: number): Promise<void> {
    this.client.stop()                    // no snapshot applied while draining may bind a port again
    this.taps.clear()
    await Promise.all([...this.listeners.values()].map(l => l.close(drainMs)))
    this.limits.close()
    this.tracer.close()
    await this.security.close()
    this.admin?.close()
    this.clusters.close()
  }
}
