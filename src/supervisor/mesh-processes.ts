// Keeps the processes `trellis up` runs in line with the control plane's config: every Workload
// replica (sidecar + app) and every Gateway. Scale-downs drain first; changed replicas (a new spec or
// `trellis rollout restart`) are replaced one at a time with a surge: the new one starts and becomes
// ready beside the old one, then the old one is drained and stopped — so a rollout drops nothing.
import type { MeshIR, WorkloadIR } from '../ir/index.js'
import type { AdminClient } from '../controlplane/admin-client.js'
import { splitQualified } from '../identity/spiffe.js'
import { freePort } from './free-port.js'
import type { HealthCheck } from './health-watch.js'
import { ManagedProcess } from './managed-process.js'
import { PROXY_NODE_FLAGS } from './proxy-node-flags.js'
import { Replica } from './replica.js'
import { httpOk, waitFor } from './wait.js'

interface Entry { readonly spec: string; readonly replica: Replica }
interface GatewayProcess { readonly process: ManagedProcess; readonly adminPort: number }

/** What makes a replica need a restart: everything but the replica count and informational fields. */
function specOf(w: WorkloadIR, generation: number): string {
  const { replicas: _r, services: _s, ...rest } = w
  return JSON.stringify({ ...rest, generation })
}

export class MeshProcesses {
  private readonly replicas = new Map<string, Entry>()
  private readonly gateways = new Map<string, GatewayProcess>()
  /** Gateways removed from the config, still draining: shutdown waits for them too. */
  private readonly retiring = new Set<Promise<void>>()
  private ir: MeshIR | null = null
  private rollouts: Record<string, number> = {}
  private version = 0
  private reconciling: Promise<void> = Promise.resolve()

  constructor(private readonly cli: string, private readonly admin: AdminClient, private readonly joinToken: string,
      private readonly cpUrl: string, private readonly out: (line: string) => void, private readonly signal: AbortSignal) {}

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
    this.reconciling = this.reconciling.then(() => this.doReconcile()).catch(e => {
      this.version = 0 // try again on the next watch tick, not only when the config changes
      this.out(`up | reconcile failed: ${(e as Error).message}`)
    })
    return this.reconciling
  }

  private async doReconcile(): Promise<void> {
    if (this.signal.aborted) return
    const res = await this.admin.call<{ version: number; ir: MeshIR; rollouts?: Record<string, number> }>('GET', '/api/v1/ir')
    if (res.status !== 200) throw new Error(`control plane answered ${res.status}`)
    this.ir = res.body.ir
    this.rollouts = res.body.rollouts ?? {}
    this.version = res.body.version
    const ir = this.ir
    const drainMs = ir.mesh.drainTimeoutMs
    const wanted = new Map<string, WorkloadIR>()
    for (const w of ir.workloads) for (let i = 0; i < w.replicas; i++) wanted.set(`${w.name}/${i}`, w)
    const removed = [...this.replicas].filter(([name]) => !wanted.has(name))
    await Promise.all(removed.map(([name, e]) => { this.replicas.delete(name); return this.drainAndStop(e.replica, drainMs) }))
    const starts: Promise<unknown>[] = []
    for (const [name, w] of wanted) if (!this.replicas.has(name)) starts.push(this.startReplica(name, w))
    await Promise.all(starts)
    for (const [name, entry] of [...this.replicas]) {
      const w = wanted.get(name)
      if (!w || specOf(w, this.rollouts[w.name] ?? 0) === entry.spec || this.signal.aborted) continue
      const next = await this.startReplica(name, w)      // surge: the new one beside the old one
      if (await this.waitInstanceReady(next)) { await this.drainAndStop(entry.replica, drainMs); continue }
      // The replacement never became ready: keep the old replica serving, drop the new one.
      this.out(`up | ${name}: the new replica did not become ready; keeping the old one`)
      this.replicas.set(name, entry)
      await this.drainAndStop(next, drainMs)
    }
    await this.reconcileGateways(ir)
  }

  private async reconcileGateways(ir: MeshIR): Promise<void> {
    for (const g of ir.gateways) {
      if (this.gateways.has(g.name)) continue
      const adminPort = await freePort()               // known here, so its readiness can be checked
      const proc = new ManagedProcess({
        name: `gateway/${splitQualified(g.name)[1]}`, command: process.execPath,
        args: [...PROXY_NODE_FLAGS, this.cli, 'gateway', g.name, '--control-plane', this.cpUrl, '--admin-port', String(adminPort),
          '--parent-pid', String(process.pid)],
        cwd: process.cwd(), env: { ...process.env, TRELLIS_TOKEN: this.joinToken },
      }, this.out)
      this.gateways.set(g.name, { process: proc, adminPort })
      proc.start()
    }
    for (const [name, { process: proc }] of this.gateways) {
      if (ir.gateways.some(g => g.name === name)) continue
      this.gateways.delete(name)
      const stopped = proc.stop(ir.mesh.drainTimeoutMs + 1000).finally(() => this.retiring.delete(stopped))
      this.retiring.add(stopped)
    }
  }

  /** The health `up` watches of what runs now (health-watch.ts): each proxy's readiness (its admin
   *  port's /ready), and each app's health check as its instance reports it, from one instance list. */
  healthChecks(): HealthCheck[] {
    let listed: Promise<{ name: string; incarnation: string; healthy: boolean }[] | null> | null = null
    const instances = () => (listed ??= this.admin.call<{ items: { name: string; incarnation: string; healthy: boolean }[] }>('GET', '/api/v1/instances')
      .then(r => (r.status === 200 ? r.body.items : null), () => null))
    const checks: HealthCheck[] = []
    for (const { replica } of this.replicas.values()) {
      checks.push({ process: replica.proxy, check: () => httpOk(`http://127.0.0.1:${replica.adminPort}/ready`) })
      const app = replica.app
      if (app === null) continue
      checks.push({
        process: app,
        check: async () => {
          const items = await instances()
          return items === null ? null : items.some(i => i.name === replica.name && i.incarnation === replica.incarnation && i.healthy)
        },
      })
    }
    for (const g of this.gateways.values()) checks.push({ process: g.process, check: () => httpOk(`http://127.0.0.1:${g.adminPort}/ready`) })
    return checks
  }

  private async startReplica(name: string, w: WorkloadIR): Promise<Replica> {
    const index = Number(name.slice(name.lastIndexOf('/') + 1))
    const replica = await Replica.create(w, index, {
      cli: this.cli, controlPlane: this.cpUrl, joinToken: this.joinToken, out: this.out, ir: () => this.ir!,
      onAppStart: (r, pid) => { this.admin.call('POST', '/api/v1/instances/pid', { instance: r.name, pid, incarnation: r.incarnation }).catch(() => {}) },
    })
    this.replicas.set(name, { spec: specOf(w, this.rollouts[w.name] ?? 0), replica })
    await replica.start(this.signal).catch(e => this.out(`up | ${name}: ${(e as Error).message}`))
    return replica
  }

  /** True once the replica is ready and every caller knows its endpoint; false after 60 s. */
  private async waitInstanceReady(replica: Replica): Promise<boolean> {
    const ready = await waitFor(async () => {
      const res = await this.admin.call<{ items: { name: string; incarnation: string; ready: boolean }[] }>('GET', '/api/v1/instances')
      return res.status === 200 && res.body.items.some(i => i.name === replica.name && i.incarnation === replica.incarnation && i.ready)
    }, this.signal, 60_000, replica.name).then(() => true, e => { this.out(`up | ${(e as Error).message}`); return false })
    if (!ready) return false
    // Every caller must know the new endpoint before the old one goes.
    const st = await this.admin.call<{ version: number }>('GET', '/api/v1/status').catch(() => null)
    if (st) await this.waitAcked(st.body.version)
    return true
  }

  private async waitAcked(version: number): Promise<void> {
    await waitFor(async () => {
      const px = await this.admin.call<{ items: { ackedVersion: number; connected: boolean }[] }>('GET', '/api/v1/proxies')
      return px.status === 200 && px.body.items.every(p => !p.connected || p.ackedVersion >= version)
    }, this.signal, 10_000, 'acks').catch(() => {})
  }

  /** Drained first (callers stop sending and ack), then stopped: in-flight requests finish. */
  private async drainAndStop(replica: Replica, drainMs: number): Promise<void> {
    try { await this.admin.call('POST', '/api/v1/drain', { instance: replica.name, incarnation: replica.incarnation }) } catch { /* stop anyway */ }
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

  /** Stops everything, draining for the Mesh's drainTimeout as last applied (`startDrainMs` before
   *  the first reconcile). */
  async stopAll(startDrainMs: number): Promise<void> {
    await this.reconciling.catch(() => {})
    const drainMs = this.ir?.mesh.drainTimeoutMs ?? startDrainMs
    await Promise.all([...this.gateways.values()].map(g => g.process.stop(drainMs + 1000)).concat([...this.retiring]))
    await Promise.all([...this.replicas.values()].map(async ({ replica }) => {
      try { await this.admin.call('POST', '/api/v1/drain', { instance: replica.name, incarnation: replica.incarnation }) } catch { /* control plane gone */ }
    }))
    await Promise.all([...this.replicas.values()].map(({ replica }) => replica.stop(drainMs)))
    this.replicas.clear()
    this.gateways.clear()
  }
}
