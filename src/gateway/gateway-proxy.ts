// The edge proxy of one Gateway: a listener per Gateway listener port, routing by hostname and
// path with the same router and balancers as the sidecars.
import type { Server } from 'node:http'
import { startAdminServer } from '../dataplane/admin-server.js'
import { buildRouter } from '../dataplane/build/build-router.js'
import { ConfigClient } from '../dataplane/config-client.js'
import { HttpListener } from '../dataplane/listener/http-listener.js'
import { ClusterSet } from '../dataplane/upstream/cluster-set.js'
import type { QualifiedName } from '../ir/index.js'
import type { GatewaySnapshot, Snapshot } from '../snapshot/types.js'
import { ProxyMetrics } from '../telemetry/proxy-metrics.js'

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
  private readonly clusters = new ClusterSet()
  private readonly listeners = new Map<number, HttpListener>()
  private readonly client: ConfigClient
  private admin: Server | null = null
  private snapshot: GatewaySnapshot | null = null
  private readonly host: string
  private readonly log: (line: string) => void

  constructor(private readonly opts: GatewayOptions) {
    this.metrics.addCollector(() => this.clusters.metricsText())
    this.host = opts.listenAddress ?? '127.0.0.1'
    this.log = opts.log ?? (line => process.stderr.write(`${line}\n`))
    this.client = new ConfigClient({
      controlPlane: opts.controlPlane, token: opts.token, log: this.log,
      registration: () => ({ kind: 'gateway', gateway: opts.gateway, pid: process.pid, adminAddress: `127.0.0.1:${this.adminPort}` }),
      apply: snap => this.apply(snap),
      appReady: () => true,
      observe: () => this.clusters.observe(),
    })
  }

  get adminPort(): number { return (this.admin?.address() as { port: number } | null)?.port ?? 0 }
  get ackedVersion(): number { return this.client.ackedVersion }

  async start(): Promise<void> {
    this.admin = await startAdminServer({
      metrics: this.metrics,
      ready: () => this.snapshot !== null,
      config: () => ({ version: this.client.ackedVersion, connected: this.client.connected, identity: this.client.identity, snapshot: this.snapshot }),
    }, this.opts.adminPort ?? 0)
    this.client.start()
  }

  async apply(snap: Snapshot): Promise<void> {
    if (snap.kind !== 'gateway') throw new Error(`expected a gateway snapshot, got ${snap.kind}`)
    this.clusters.update(snap.clusters)
    const wanted = new Map<number, ReturnType<typeof buildRouter>>()
    for (const l of snap.gateway.listeners) {
      if (l.protocol !== 'HTTP') { this.log(`listener ${l.name}: protocol ${l.protocol} is not served yet`); continue }
      wanted.set(l.port, buildRouter(l.routes, {
        listener: `${snap.gateway.name}|${l.name}`, clusters: this.clusters.byService, metrics: this.metrics, scheme: 'http', port: l.port,
      }))
    }
    for (const port of wanted.keys()) {
      if (this.listeners.has(port)) continue
      const listener = new HttpListener({ name: `port ${port}`, proto: 'http', edge: true, stripMeshHeaders: true })
      try { await listener.listen(port, this.host) } catch (err) {
        throw new Error(`cannot listen on ${this.host}:${port}: ${(err as Error).message}`)
      }
      this.listeners.set(port, listener)
    }
    for (const [port, router] of wanted) this.listeners.get(port)!.router = router
    for (const [port, listener] of this.listeners) {
      if (!wanted.has(port)) { this.listeners.delete(port); void listener.close(snap.mesh.drainTimeoutMs) }
    }
    this.snapshot = snap
  }

  /** Stops taking new connections, finishes in-flight requests for up to `drainMs`. */
  async stop(drainMs: number): Promise<void> {
    await Promise.all([...this.listeners.values()].map(l => l.close(drainMs)))
    this.client.stop()
    this.admin?.close()
    this.clusters.close()
  }
}
