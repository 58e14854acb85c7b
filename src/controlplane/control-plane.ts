// The control plane: applied config, instance registry and the snapshot streams, behind one HTTP API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SourceText } from '../config/index.js'
import { formatDiagnostic } from '../ir/index.js'
import { gatewayIdentity, spiffeId, splitQualified } from '../identity/spiffe.js'
import { Credentials } from './auth.js'
import { ConfigState, type ApplyResult } from './config-state.js'
import { HttpError, readJson, sendJson } from './http-util.js'
import { ControlPlaneMetrics } from './metrics.js'
import { Pusher } from './push.js'
import { Registry, type Observed, type ProxyRegistration } from './registry.js'
import type { Store } from './store/types.js'
import { instanceViews, kindsFor, proxyView, resourceViews } from './views.js'

export interface ControlPlaneOptions {
  readonly store: Store
  readonly stateDir: string
  readonly listen?: string            // host:port; default from Mesh or 127.0.0.1:15000
  readonly instanceTtlMs?: number
  readonly heartbeatMs?: number
  readonly log?: (line: string) => void
}

export class ControlPlane {
  readonly config = new ConfigState()
  readonly creds: Credentials
  readonly metrics = new ControlPlaneMetrics()
  readonly registry: Registry
  private readonly pusher: Pusher
  private server: Server | null = null
  private version = 0
  private timers: NodeJS.Timeout[] = []
  private persistScheduled = false
  private readonly heartbeatMs: number
  private readonly waiters = new Set<() => void>()
  /** Restart generations per Workload (`trellis rollout restart`); `up` replaces replicas when one grows. */
  private readonly rollouts: Record<string, number> = {}
  private readonly log: (line: string) => void

  constructor(private readonly opts: ControlPlaneOptions) {
    this.creds = Credentials.loadOrCreate(opts.stateDir)
    this.heartbeatMs = opts.heartbeatMs ?? 1000
    this.log = opts.log ?? (line => process.stderr.write(line + '\n'))
    this.registry = new Registry(opts.instanceTtlMs ?? 5000, () => this.bump(true))
    this.pusher = new Pusher(() => ({ ir: this.config.ir, version: this.version, instances: this.registry.instances() }))
  }

  get currentVersion(): number { return this.version }
  get address(): string {
    const a = this.server?.address() as AddressInfo | null
    return a ? `${a.address}:${a.port}` : ''
  }

  async start(): Promise<void> {
    const state = await this.opts.store.load()
    const restored = this.config.restore(state.resources)
    if (!restored.ok) for (const e of restored.errors) this.log(`stored config rejected: ${formatDiagnostic(e)}`)
    this.registry.restore(state.instances, Date.now())
    this.version = 1
    const listen = this.opts.listen ?? this.config.ir.mesh.controlPlaneListen
    const [host, port] = splitHostPort(listen)
    this.server = createServer((req, res) => { this.handle(req, res).catch(err => this.fail(res, err)) })
    this.server.keepAliveTimeout = 65_000
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, host, () => resolve())
    })
    this.timers.push(setInterval(() => this.registry.sweep(Date.now()), 500))
    this.timers.push(setInterval(() => this.pusher.ping(), 5000))
    for (const t of this.timers) t.unref()
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.pusher.closeAll()
    await new Promise<void>(resolve => {
      if (!this.server) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    await this.opts.store.save({ resources: this.config.list(), instances: this.registry.toStored() })
    await this.opts.store.close()
  }

  /** Applies documents; on success bumps the version and pushes. Used by the API and by tests. */
  async apply(sources: readonly SourceText[], mode: 'apply' | 'delete' | 'replace'): Promise<ApplyResult> {
    const result = this.config.apply(sources, mode)
    this.metrics.applies.inc({ outcome: result.ok ? 'ok' : 'rejected' })
    if (!result.ok) return result
    if (result.changes.every(c => c.action === 'unchanged')) return result // nothing changed: same version
    this.bump(false)
    await this.persist()
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

  /** Ready once every Workload has at least one healthy replica. */
  /** Ready once every Workload has a healthy replica and every Gateway's listeners are bound
   *  (its proxy applied a config: a proxy only acks once its listeners are listening). */
  isReady(): boolean {
    if (!this.server) return false
    const proxies = this.registry.list()
    const healthy = new Set(proxies.filter(p => p.kind === 'sidecar' && p.connected && p.appReady).map(p => p.workload))
    const bound = new Set(proxies.filter(p => p.kind === 'gateway' && p.connected && p.ackedVersion > 0 && !p.nack).map(p => p.gateway))
    return this.config.ir.workloads.every(w => healthy.has(w.name)) && this.config.ir.gateways.every(g => bound.has(g.name))
  }

  private bump(membership: boolean): void {
    this.version++
    this.metrics.configVersion.set(this.version)
    this.pusher.schedule()
    if (membership) this.schedulePersist()
  }

  private schedulePersist(): void {
    if (this.persistScheduled) return
    this.persistScheduled = true
    setTimeout(() => { this.persistScheduled = false; this.persist().catch(err => this.log(`store: ${err}`)) }, 200).unref()
  }

  private persist(): Promise<void> {
    return this.opts.store.save({ resources: this.config.list(), instances: this.registry.toStored() })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://cp')
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
    if (path.startsWith('/api/v1/proxies') && !(method === 'GET' && path === '/api/v1/proxies')) return this.handleProxyApi(req, res, path, method)
    if (!path.startsWith('/api/v1/')) return sendJson(res, 404, { error: 'not found' })
    if (!this.creds.isAdmin(req.headers.authorization)) throw new HttpError(401, 'admin token required (Authorization: Bearer …)')
    return this.handleAdminApi(req, res, url, method)
  }

  private async handleProxyApi(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    const claims = this.creds.verifyJoin(req.headers.authorization, Date.now())
    if (!claims) throw new HttpError(401, 'a valid join token is required')
    const parts = path.split('/').filter(Boolean) // api v1 proxies [id] [action]
    if (parts.length === 3 && method === 'POST') {
      const reg = parseRegistration(await readJson(req))
      if (claims.workload && reg.workload !== claims.workload) throw new HttpError(403, `join token is for workload ${claims.workload}`)
      const td = this.config.ir.mesh.trustDomain
      const workload = this.config.ir.workloads.find(w => w.name === reg.workload)
      if (reg.kind === 'sidecar' && !workload) throw new HttpError(404, `Workload "${reg.workload}" is not in the config`)
      const identity = reg.kind === 'gateway'
        ? gatewayIdentity(td, reg.gateway ?? '')
        : spiffeId(td, splitQualified(reg.workload ?? '')[0], workload!.identity)
      const labels = workload ? workload.labels : reg.labels
      const rec = this.registry.register({ ...reg, identity, labels }, Date.now())
      return sendJson(res, 201, { id: rec.id, name: rec.name, identity, heartbeatMs: this.heartbeatMs })
    }
    const rec = this.registry.get(parts[3] ?? '')
    if (!rec) throw new HttpError(404, 'unknown proxy; register again')
    if (parts[4] === 'stream' && method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      res.flushHeaders()
      req.socket.setNoDelay(true)
      this.registry.setConnected(rec, true, Date.now())
      res.on('close', () => {
        this.registry.setConnected(rec, false, Date.now())
        this.registry.remove(rec.id) // a closed stream means the proxy is gone; it re-registers if not
      })
      this.pusher.attach(rec, res)
      return
    }
    if (parts[4] === 'status' && method === 'POST') {
      const body = (await readJson(req)) as { appReady?: boolean; ackedVersion?: number; nack?: { version: number; reason: string } | null; observed?: Observed | null }
      if (body.observed && typeof body.observed === 'object') rec.observed = sanitizeObserved(body.observed)
      if (typeof body.ackedVersion === 'number' && body.ackedVersion > rec.ackedVersion) rec.ackedVersion = body.ackedVersion
      if (body.nack) { rec.nack = body.nack; this.metrics.nacks.inc(); this.log(`proxy ${rec.name} rejected version ${body.nack.version}: ${body.nack.reason}`) }
      this.registry.report(rec, body.appReady === true || rec.kind === 'gateway', Date.now())
      for (const w of this.waiters) w()
      return sendJson(res, 200, { version: this.version })
    }
    throw new HttpError(404, 'not found')
  }

  private async handleAdminApi(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const what = url.pathname.slice('/api/v1/'.length)
    if (method === 'POST' && (what === 'apply' || what === 'delete' || what === 'replace')) {
      const body = (await readJson(req)) as { sources?: SourceText[] }
      if (!Array.isArray(body.sources)) throw new HttpError(400, 'body must be {"sources": [{file, dir, text}]}')
      const result = await this.apply(body.sources, what)
      const render = { version: this.version, changes: result.changes, errors: result.errors.map(formatDiagnostic), warnings: result.warnings.map(formatDiagnostic) }
      if (!result.ok) return sendJson(res, 422, render)
      if (url.searchParams.get('wait')) {
        const acked = await this.waitForAcks(this.version, Number(url.searchParams.get('timeoutMs') ?? 30000))
        return sendJson(res, acked ? 200 : 504, { ...render, acked })
      }
      return sendJson(res, 200, render)
    }
    if (method === 'POST' && what === 'instances/pid') {
      const body = (await readJson(req)) as { instance?: string; pid?: number; incarnation?: string }
      const found = typeof body.pid === 'number' && this.registry.setAppPid(String(body.instance), body.pid, typeof body.incarnation === 'string' ? body.incarnation : null)
      return sendJson(res, found ? 200 : 404, { ok: found })
    }
    if (method === 'POST' && what === 'tokens') {
      const body = (await readJson(req)) as { workload?: string | null; ttlMs?: number }
      const ttl = typeof body.ttlMs === 'number' && body.ttlMs > 0 ? Math.min(body.ttlMs, 365 * 24 * 3600_000) : 24 * 3600_000
      const w = typeof body.workload === 'string' && body.workload ? (body.workload.includes('/') ? body.workload : `default/${body.workload}`) : null
      return sendJson(res, 201, { token: this.creds.createJoinToken(w, ttl, Date.now()), workload: w, expiresInMs: ttl })
    }
    if (method === 'POST' && what === 'rollout/restart') {
      const body = (await readJson(req)) as { workload?: string }
      const name = String(body.workload ?? '')
      const q = name.includes('/') ? name : `default/${name}`
      if (!this.config.ir.workloads.some(w => w.name === q)) {
        throw new HttpError(404, `Workload "${name}" not found; known: ${this.config.ir.workloads.map(w => w.name).join(', ') || 'none'}`)
      }
      this.rollouts[q] = (this.rollouts[q] ?? 0) + 1
      this.bump(false)
      return sendJson(res, 200, { workload: q, generation: this.rollouts[q], version: this.version })
    }
    if (method === 'POST' && what === 'drain') {
      const body = (await readJson(req)) as { instance?: string; draining?: boolean; incarnation?: string }
      const found = this.registry.setDraining(String(body.instance), body.draining !== false, typeof body.incarnation === 'string' ? body.incarnation : null)
      if (found) await this.waitForAcks(this.version, 5000)
      return sendJson(res, found ? 200 : 404, { version: this.version })
    }
    if (method !== 'GET') throw new HttpError(405, 'method not allowed')
    if (what === 'status') {
      return sendJson(res, 200, { version: this.version, ready: this.isReady(), store: this.opts.store.url, warnings: this.config.warnings.map(formatDiagnostic) })
    }
    if (what === 'ir') return sendJson(res, 200, { version: this.version, ir: this.config.ir, rollouts: this.rollouts })
    const td = this.config.ir.mesh.trustDomain
    if (what === 'proxies') return sendJson(res, 200, { items: this.registry.list().map(p => proxyView(p, td)) })
    if (what === 'instances') return sendJson(res, 200, { items: instanceViews(this.config.ir, this.registry.list()) })
    const [group, name] = what.split('/')
    const kinds = kindsFor(group)
    if (!kinds) throw new HttpError(404, `unknown resource type "${group}"`)
    let items = resourceViews(this.config.list(), kinds, this.version)
    if (name) items = items.filter(i => (i as { metadata?: { name?: string } }).metadata?.name === name)
    if (name && items.length === 0) throw new HttpError(404, `${group} "${name}" not found`)
    return sendJson(res, 200, { items })
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return void res.destroy()
    if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, details: err.details })
    this.log(`control plane error: ${(err as Error).stack ?? err}`)
    sendJson(res, 500, { error: 'internal error' })
  }
}

function parseRegistration(body: unknown): ProxyRegistration {
  const b = body as Record<string, unknown>
  const kind = b.kind === 'gateway' ? 'gateway' : b.kind === 'sidecar' ? 'sidecar' : null
  if (!kind) throw new HttpError(400, 'kind must be sidecar or gateway')
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null)
  const q = (v: unknown) => { const s = str(v); return s && !s.includes('/') ? `default/${s}` : s }
  const reg: ProxyRegistration = {
    kind, workload: q(b.workload), gateway: q(b.gateway),
    replica: typeof b.replica === 'number' ? b.replica : null, pid: typeof b.pid === 'number' ? b.pid : null,
    labels: (b.labels && typeof b.labels === 'object' ? b.labels : {}) as Record<string, string>,
    adminAddress: str(b.adminAddress) ?? '', inboundAddress: str(b.inboundAddress), identity: '', incarnation: str(b.incarnation) ?? '',
  }
  if (kind === 'sidecar' && (!reg.workload || reg.replica === null)) throw new HttpError(400, 'sidecars register with workload and replica')
  if (kind === 'gateway' && !reg.gateway) throw new HttpError(400, 'gateways register with gateway')
  return reg
}

export function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':')
  return [listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(listen.slice(i + 1))]
}

/** Keeps only the expected shape of a proxy's report (it comes from the network). */
function sanitizeObserved(o: Observed): Observed {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 10_000) : [])
  const circuits: Record<string, { open: boolean; active: number; rejected: number }> = {}
  if (o.circuits && typeof o.circuits === 'object') {
    for (const [k, v] of Object.entries(o.circuits).slice(0, 1000)) {
      if (v && typeof v === 'object') circuits[k] = { open: v.open === true, active: Number(v.active) || 0, rejected: Number(v.rejected) || 0 }
    }
  }
  return { ejected: strings(o.ejected), unhealthy: strings(o.unhealthy), circuits }
}
