// `trellis up`: the whole mesh on one machine. Validates, starts the control plane (a supervised
// child), applies the config, then keeps every Workload's replicas and every Gateway running to
// match the control plane's config — so `trellis apply` can scale or change them live.
import { writeFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadAndCompile, readSources } from '../config/index.js'
import { formatDiagnostic, type MeshIR, type WorkloadIR } from '../ir/index.js'
import { AdminClient } from '../controlplane/admin-client.js'
import { Credentials } from '../controlplane/auth.js'
import { ManagedProcess } from './managed-process.js'
import { Replica } from './replica.js'
import { httpOk, waitFor } from './wait.js'
import { splitQualified } from '../identity/spiffe.js'

export interface UpOptions { readonly files: readonly string[]; readonly stateDir: string; readonly listen?: string }

const CLI = fileURLToPath(new URL('../../bin/trellis.js', import.meta.url))

export async function up(opts: UpOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(line + '\n')
  const err = (line: string) => process.stderr.write(line + '\n')
  const { ir, diagnostics } = loadAndCompile([...opts.files])
  for (const d of diagnostics) err(`${d.severity === 'warning' ? 'warning: ' : ''}${formatDiagnostic(d)}`)
  if (diagnostics.some(d => d.severity === 'error')) return 1

  const stateDir = resolve(opts.stateDir)
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const creds = Credentials.loadOrCreate(stateDir)
  const listen = opts.listen ?? ir.mesh.controlPlaneListen
  const cpUrl = `http://${listen}`
  writeFileSync(join(stateDir, 'control-plane-url'), cpUrl + '\n', { mode: 0o600 })
  const admin = new AdminClient({ url: cpUrl, token: creds.adminToken })
  const controller = new AbortController()
  const mesh = new Mesh(admin, creds.createJoinToken(null, 365 * 24 * 3600_000, Date.now()), cpUrl, out, controller.signal)

  const cp = new ManagedProcess({
    name: 'control-plane', command: process.execPath,
    args: [CLI, 'control-plane', '--listen', listen, '--state', stateDir, '--store', `file:${stateDir}`, '--parent-pid', String(process.pid)],
    cwd: process.cwd(), env: process.env,
  }, out)

  let stopping: Promise<number> | null = null
  const shutdown = () => {
    stopping ??= (async () => {
      controller.abort()
      err('stopping: draining in-flight requests')
      await mesh.stopAll(ir.mesh.drainTimeoutMs)
      await cp.stop(5000)
      return 0
    })()
    return stopping
  }
  const done = new Promise<number>(resolveDone => {
    process.once('SIGINT', () => void shutdown().then(resolveDone))
    process.once('SIGTERM', () => void shutdown().then(resolveDone))
  })

  try {
    cp.start()
    await waitFor(() => httpOk(`${cpUrl}/healthz`), controller.signal, 30_000, 'control plane')
    const applied = await admin.call<{ errors: string[] }>('POST', '/api/v1/replace', { sources: readSources([...opts.files]).sources })
    if (applied.status !== 200) {
      for (const e of applied.body.errors ?? [JSON.stringify(applied.body)]) err(e)
      await shutdown()
      return 1
    }
    await mesh.reconcile()
    mesh.watch()
    await mesh.waitReady()
    const pending = mesh.gatewayPorts()
    out('ready')
    out(`dashboard: ${cpUrl}/#token=${creds.adminToken}`)
    for (const p of pending) out(`gateway ${p}`)
  } catch (e) {
    if (!controller.signal.aborted) { err(`trellis up: ${(e as Error).message}`); await shutdown(); return 1 }
  }
  return done
}

/** What makes a replica need a restart: everything but the replica count and informational fields. */
function specOf(w: WorkloadIR): string {
  const { replicas: _r, services: _s, ...rest } = w
  return JSON.stringify(rest)
}

/** Keeps running processes in line with the control plane's IR. */
class Mesh {
  private readonly replicas = new Map<string, { spec: string; replica: Replica }>()
  private readonly gateways = new Map<string, ManagedProcess>()
  private ir: MeshIR | null = null
  private version = 0
  private reconciling: Promise<void> = Promise.resolve()

  constructor(private readonly admin: AdminClient, private readonly joinToken: string, private readonly cpUrl: string,
      private readonly out: (line: string) => void, private readonly signal: AbortSignal) {}

  gatewayPorts(): string[] {
    return (this.ir?.gateways ?? []).flatMap(g => g.listeners.map(l => `${splitQualified(g.name)[1]}/${l.name}: ${l.protocol.toLowerCase()}://127.0.0.1:${l.port}`))
  }

  watch(): void {
    const tick = async () => {
      if (this.signal.aborted) return
      try {
        const st = await this.admin.call<{ version: number }>('GET', '/api/v1/status')
        if (st.status === 200 && st.body.version !== this.version) await this.reconcile()
      } catch { /* control plane restarting: it is supervised */ }
      if (!this.signal.aborted) setTimeout(tick, 300)
    }
    setTimeout(tick, 300)
  }

  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.doReconcile()).catch(e => this.out(`up | reconcile failed: ${(e as Error).message}`))
    return this.reconciling
  }

  private async doReconcile(): Promise<void> {
    if (this.signal.aborted) return
    const res = await this.admin.call<{ version: number; ir: MeshIR }>('GET', '/api/v1/ir')
    if (res.status !== 200) throw new Error(`control plane answered ${res.status}`)
    this.ir = res.body.ir
    this.version = res.body.version
    const ir = this.ir
    const wanted = new Map<string, WorkloadIR>()
    for (const w of ir.workloads) for (let i = 0; i < w.replicas; i++) wanted.set(`${w.name}/${i}`, w)
    // Scale down first (drained), then roll changed replicas one at a time, then start new ones.
    const removed = [...this.replicas].filter(([name]) => !wanted.has(name))
    await Promise.all(removed.map(([name, entry]) => { this.replicas.delete(name); return this.drainAndStop(entry.replica, ir.mesh.drainTimeoutMs) }))
    for (const [name, entry] of [...this.replicas]) {
      const w = wanted.get(name)!
      if (specOf(w) === entry.spec) continue
      this.replicas.delete(name)
      await this.drainAndStop(entry.replica, ir.mesh.drainTimeoutMs)
      const replica = await this.startReplica(name, w)
      await replica.started
      await this.waitInstanceReady(name)
    }
    const starts: Promise<void>[] = []
    for (const [name, w] of wanted) {
      if (!this.replicas.has(name)) starts.push((await this.startReplica(name, w)).started)
    }
    for (const g of ir.gateways) {
      if (this.gateways.has(g.name)) continue
      const proc = new ManagedProcess({
        name: `gateway/${splitQualified(g.name)[1]}`, command: process.execPath,
        args: [CLI, 'gateway', g.name, '--control-plane', this.cpUrl, '--parent-pid', String(process.pid)],
        cwd: process.cwd(), env: { ...process.env, TRELLIS_TOKEN: this.joinToken },
      }, this.out)
      this.gateways.set(g.name, proc)
      proc.start()
    }
    for (const [name, proc] of this.gateways) {
      if (!ir.gateways.some(g => g.name === name)) { this.gateways.delete(name); await proc.stop(ir.mesh.drainTimeoutMs + 1000) }
    }
    await Promise.all(starts)
  }

  private async startReplica(name: string, w: WorkloadIR): Promise<{ started: Promise<void> }> {
    const index = Number(name.slice(name.lastIndexOf('/') + 1))
    const replica = await Replica.create(w, index, {
      cli: CLI, controlPlane: this.cpUrl, joinToken: this.joinToken, out: this.out, ir: () => this.ir!,
      onAppStart: (r, pid) => { this.admin.call('POST', '/api/v1/instances/pid', { instance: r.name, pid }).catch(() => {}) },
    })
    this.replicas.set(name, { spec: specOf(w), replica })
    return { started: replica.start(this.signal) }
  }

  private async waitInstanceReady(name: string): Promise<void> {
    await waitFor(async () => {
      const res = await this.admin.call<{ items: { name: string; ready: boolean }[] }>('GET', '/api/v1/instances')
      return res.status === 200 && res.body.items.some(i => i.name === name && i.ready)
    }, this.signal, 60_000, name).catch(e => this.out(`up | ${(e as Error).message}`))
  }

  private async drainAndStop(replica: Replica, drainMs: number): Promise<void> {
    try { await this.admin.call('POST', '/api/v1/drain', { instance: replica.name }) } catch { /* stop anyway */ }
    await replica.stop(drainMs)
  }

  /** `ready`: /readyz answers 200 and every proxy has acked the current version. */
  async waitReady(): Promise<void> {
    await waitFor(async () => {
      if (!(await httpOk(`${this.cpUrl}/readyz`))) return false
      const st = await this.admin.call<{ version: number }>('GET', '/api/v1/status')
      const px = await this.admin.call<{ items: { ackedVersion: number; connected: boolean }[] }>('GET', '/api/v1/proxies')
      const expected = this.replicas.size + this.gateways.size
      return px.body.items.length >= expected && px.body.items.every(p => p.connected && p.ackedVersion >= st.body.version)
    }, this.signal, 120_000, 'mesh')
  }

  async stopAll(drainMs: number): Promise<void> {
    await this.reconciling.catch(() => {})
    await Promise.all([...this.gateways.values()].map(g => g.stop(drainMs + 1000)))
    await Promise.all([...this.replicas.values()].map(async ({ replica }) => {
      try { await this.admin.call('POST', '/api/v1/drain', { instance: replica.name }) } catch { /* control plane gone */ }
    }))
    await Promise.all([...this.replicas.values()].map(({ replica }) => replica.stop(drainMs)))
    this.replicas.clear()
    this.gateways.clear()
  }
}
