// The control plane: applied config, instance registry and the snapshot streams, behind one HTTP API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SourceText } from '../config/index.js'
import { formatDiagnostic } from '../ir/index.js'
import { Credentials } from './auth.js'
import type { CertificateAuthority } from './ca/certificate-authority.js'
import { loadMeshCa } from './ca/load-mesh-ca.js'
import { ConfigState, type ApplyResult } from './config-state.js'
import { HttpError, sendJson } from './http-util.js'
import { handleAdminApi } from './api/admin-api.js'
import { handleProxyApi } from './api/proxy-api.js'
import { ControlPlaneMetrics } from './metrics.js'
import { Pusher } from './push.js'
import { Registry } from './registry.js'
import { StoreConflict, type Store, type StoreState } from './store/types.js'
import { StatsStore } from './stats/stats-store.js'
import { TapRelay } from './tap/tap-relay.js'
import { handleDashboard } from './dashboard/dashboard-routes.js'

export interface ControlPlaneOptions {
  readonly store: Store
  readonly stateDir: string
  readonly listen?: string            // host:port; default from Mesh or 127.0.0.1:15000
  readonly instanceTtlMs?: number
  readonly heartbeatMs?: number
  /** Lifetime of the certificates issued to proxies (they renew at half-life); default 24 h. */
  readonly certTtlMs?: number
  /** Lifetime of a proxy's own credential, renewed while it reports; default 7 days (see docs/cli.md). */
  readonly proxyCredentialTtlMs?: number
  readonly log?: (line: string) => void
}

const DEFAULT_CERT_TTL_MS = 24 * 3600_000
/** A proxy cut off from the control plane this long (a weekend's outage) still rejoins on its own. */
const DEFAULT_PROXY_CREDENTIAL_TTL_MS = 7 * 24 * 3600_000

export class ControlPlane {
  readonly config = new ConfigState()
  readonly creds: Credentials
  readonly metrics = new ControlPlaneMetrics()
  readonly registry: Registry
  /** Traffic counts from the proxies' reports, for `trellis stat` and the dashboard. */
  readonly stats = new StatsStore()
  /** Running `trellis tap` sessions. */
  readonly taps: TapRelay
  /** @internal the API modules below use these */
  readonly pusher: Pusher
  private server: Server | null = null
  private version = 0
  private timers: NodeJS.Timeout[] = []
  private persistTimer: NodeJS.Timeout | null = null
  private stopped = false
  readonly heartbeatMs: number
  readonly certTtlMs: number
  readonly proxyCredentialTtlMs: number
  private authority: CertificateAuthority | null = null
  readonly waiters = new Set<() => void>()
  /** Restart generations per Workload (`trellis rollout restart`); `up` replaces replicas when one grows. */
  readonly rollouts: Record<string, number> = {}
  readonly log: (line: string) => void

  constructor(readonly opts: ControlPlaneOptions) {
    this.creds = Credentials.loadOrCreate(opts.stateDir)
    this.heartbeatMs = opts.heartbeatMs ?? 1000
    this.certTtlMs = opts.certTtlMs ?? DEFAULT_CERT_TTL_MS
    this.proxyCredentialTtlMs = opts.proxyCredentialTtlMs ?? DEFAULT_PROXY_CREDENTIAL_TTL_MS
    this.log = opts.log ?? (line => process.stderr.write(line + '\n'))
    this.registry = new Registry(opts.instanceTtlMs ?? 5000, () => this.bump(true))
    this.pusher = new Pusher(() => ({ ir: this.config.ir, version: this.version, instances: this.registry.instances() }))
    this.taps = new TapRelay(this.registry, this.pusher, () => this.config.ir)
  }

  get currentVersion(): number { return this.version }
  /** The mesh CA (in the shared store with etcd, else in the state folder); available once started. */
  get ca(): CertificateAuthority {
    if (!this.authority) throw new Error('control plane not started')
    return this.authority
  }
  get address(): string {
    const a = this.server?.address() as AddressInfo | null
    return a ? `${a.address}:${a.port}` : ''
  }

  async start(): Promise<void> {
    this.authority = await loadMeshCa(this.opts.store, this.opts.stateDir, this.creds, this.log)
    const state = await this.opts.store.load()
    const restored = this.config.restoreAtStart(state.resources)
    if (!restored.ok) {
      for (const e of restored.errors) this.log(`stored config rejected: ${formatDiagnostic(e)}`)
      this.log(`the stored config is kept in ${this.opts.store.url} but not served; fix or delete the documents above with trellis apply / trellis delete`)
    }
    this.registry.restore(state.instances, Date.now())
    // Versions never go back: proxies that acked version N before a restart must see N+1 next.
    this.version = (state.version ?? 0) + 1
    // A shared store (etcd): follow what the other replicas apply and register.
    await this.opts.store.watch?.({
      config: resources => {
        const r = this.config.restore(resources)
        if (!r.ok) for (const e of r.errors) this.log(`config from another replica rejected: ${formatDiagnostic(e)}`)
        this.bump(false)
      },
      instances: list => this.registry.setRemote(list),
    })
    const listen = this.opts.listen ?? this.config.ir.mesh.controlPlaneListen
    const [host, port] = splitHostPort(listen)
    this.server = createServer((req, res) => { this.handle(req, res).catch(err => this.fail(res, err)) })
    this.server.keepAliveTimeout = 65_000
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, host, () => resolve())
    })
    // An expired proxy's stream goes too: a silent proxy (hung, or its host gone) buffers nothing more.
    this.timers.push(setInterval(() => { for (const id of this.registry.sweep(Date.now())) this.pusher.detach(id) }, 500))
    this.timers.push(setInterval(() => this.pusher.ping(), 5000))
    for (const t of this.timers) t.unref()
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.stopped = true
    if (this.persistTimer) { clearTimeout(this.persistTimer); this.persistTimer = null } // stop() saves below
    // Taken before the streams close: closing them removes every proxy, and the instances must
    // outlive this process so that callers keep their endpoints across a restart.
    const state = this.stored()
    this.taps.closeAll()
    this.pusher.closeAll()
    await new Promise<void>(resolve => {
      if (!this.server) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    await this.opts.store.save(state)
    await this.opts.store.close()
  }

  /** Applies documents; on success bumps the version and pushes. Used by the API and by tests. */
  async apply(sources: readonly SourceText[], mode: 'apply' | 'delete' | 'replace'): Promise<ApplyResult> {
    const base = this.opts.store.configRevision?.()          // the stored config this apply builds on
    const before = this.config.list()
    const result = this.config.apply(sources, mode)
    this.metrics.applies.inc({ outcome: result.ok ? 'ok' : 'rejected' })
    if (!result.ok) return result
    if (result.changes.every(c => c.action === 'unchanged')) return result // nothing changed: same version
    try {
      await this.opts.store.save({ ...this.stored(), version: this.version + 1 }, base)   // the version this apply takes
    } catch (err) {
      // Stored first, pushed second: nothing the store did not take goes live. Another replica
      // wrote meanwhile: take what the store holds; any other failure: back to what was before.
      if (err instanceof StoreConflict) {
        const stored = await this.opts.store.load()
        this.config.restore(stored.resources)
        this.bump(false)
      } else this.config.restore(before)
      throw err
    }
    this.bump(false)
    return result
  }

  /** Resolves once every connected proxy has acked `version` (or the timeout passes). */
  async waitForAcks(version: number, timeoutMs: number): Promise<boolean> {
    const done = () => this.registry.list().every(p => !p.connected || p.ackedVersion >= version)
    if (done()) return true
    return new Promise(resolve => {
      const check = () => { if (done()) { cleanup(); resolve(true) } }
      const timer = setTimeout(() => { cleanup(); resolve(false) }, timeoutMs)
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
    })
  }

  /** Ready once every Workload has a healthy replica and every Gateway's listeners are bound
   *  (its proxy applied a config: a proxy only acks once its listeners are listening). */
  isReady(): boolean {
    if (!this.server) return false
    const proxies = this.registry.list()
    const healthy = new Set(proxies.filter(p => p.kind === 'sidecar' && p.connected && p.appReady).map(p => p.workload))
    const bound = new Set(proxies.filter(p => p.kind === 'gateway' && p.connected && p.ackedVersion > 0 && !p.nack).map(p => p.gateway))
    return this.config.ir.workloads.every(w => healthy.has(w.name)) && this.config.ir.gateways.every(g => bound.has(g.name))
  }

  bump(membership: boolean): void {
    this.version++
    this.metrics.configVersion.set(this.version)
    this.pusher.schedule(membership ? 20 : 0)
    if (membership) this.schedulePersist()
  }

  private schedulePersist(): void {
    if (this.persistTimer || this.stopped) return
    this.persistTimer = setTimeout(() => { this.persistTimer = null; this.persist().catch(err => this.log(`store: ${err}`)) }, 200)
    this.persistTimer.unref()
  }

  /** Membership changes: a shared store takes the instances alone (the config is written by
   *  applies only, so this never races one); a single-writer store takes everything. */
  private persist(): Promise<void> {
    const store = this.opts.store
    if (store.saveInstances) return store.saveInstances(this.registry.toStored())
    return store.save(this.stored())
  }

  private stored(): StoreState {
    return { resources: this.config.list(), instances: this.registry.toStored(), version: this.version }
  }

  /** A proxy registering says which version it acked last (from before a restart, or from another
   *  replica): the next version it gets is above it. */
  raiseVersionAbove(acked: number): void {
    if (Number.isSafeInteger(acked) && acked >= this.version) this.version = acked
  }


  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL
    try { url = new URL(req.url ?? '/', 'http://cp') } catch {
      throw new HttpError(400, 'the request target is not a URL')   // the client's mistake: no 500, no log line
    }
    const path = url.pathname
    const method = req.method ?? 'GET'
    if (path === '/readyz') return sendJson(res, this.isReady() ? 200 : 503, { ready: this.isReady(), version: this.version })
    if (path === '/healthz') return sendJson(res, 200, { ok: true })
    if (path === '/metrics') {
      this.metrics.proxiesConnected.set(this.registry.list().filter(p => p.connected).length)
      this.metrics.instancesReady.set(this.registry.instances().filter(i => i.ready && !i.draining).length)
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType })
      return void res.end(await this.metrics.registry.metrics())
    }
    if (path.startsWith('/api/v1/proxies') && !(method === 'GET' && path === '/api/v1/proxies')) return handleProxyApi(this, req, res, path, method)
    if (!path.startsWith('/api/v1/')) {
      if (handleDashboard(req, res, url)) return
      return sendJson(res, 404, { error: 'not found' })
    }
    if (!this.creds.isAdmin(req.headers.authorization)) throw new HttpError(401, 'admin token required (Authorization: Bearer …)')
    return handleAdminApi(this, req, res, url, method)
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return void res.destroy()
    if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, details: err.details })
    if (err instanceof StoreConflict) return sendJson(res, 409, { error: err.message })
    this.log(`control plane error: ${(err as Error).stack ?? err}`)
    sendJson(res, 500, { error: 'internal error' })
  }
}

export function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':')
  return [listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(listen.slice(i + 1))]
}
