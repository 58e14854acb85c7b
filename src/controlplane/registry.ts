// Connected proxies and the instances they stand for. An instance leaves the endpoint set when its
// proxy's stream closes (process died), its heartbeats stop for `ttlMs`, or its app stops answering.
import type { Labels } from '../ir/index.js'
import type { InstanceRecord } from '../snapshot/types.js'
import type { StoredInstance } from './store/types.js'

export type ProxyKind = 'sidecar' | 'gateway'

export interface ProxyRegistration {
  readonly kind: ProxyKind
  readonly workload: string | null      // qualified, sidecars only
  readonly gateway: string | null       // qualified, gateways only
  readonly replica: number | null
  readonly pid: number | null
  readonly labels: Labels
  readonly adminAddress: string
  readonly inboundAddress: string | null
  readonly identity: string             // SPIFFE ID
  /** One start of one replica: a replacement started beside it (rolling restart) has another. */
  readonly incarnation: string
}

export interface ProxyRecord extends ProxyRegistration {
  readonly id: string
  readonly name: string
  configVersion: number
  ackedVersion: number
  nack: { version: number; reason: string } | null
  connected: boolean
  appReady: boolean
  draining: boolean
  lastSeen: number
  appPid: number | null
  /** What the proxy reports about its destinations (ejections, health checks, circuits). */
  observed: Observed | null
  /** The last mesh certificate issued to it. */
  certificate: { serial: string; notAfter: string } | null
}

export interface Observed { readonly ejected: readonly string[]; readonly unhealthy: readonly string[]; readonly circuits: Readonly<Record<string, { open: boolean; active: number; rejected: number }>> }

export class Registry {
  private readonly proxies = new Map<string, ProxyRecord>()
  /** Instances recovered from the store after a restart, until their proxy re-registers or the TTL ends. */
  private readonly recovered = new Map<string, StoredInstance & { lastSeen: number }>()
  /** When the last sweep ran (0: never). */
  private lastSweep = 0
  /** Instances registered at other control-plane replicas sharing the store (etcd). */
  private remote: readonly StoredInstance[] = []
  private seq = 0

  constructor(private readonly ttlMs: number, private readonly onChange: () => void) {}

  register(reg: ProxyRegistration, now: number): ProxyRecord {
    const name = nameOf(reg)
    for (const old of this.proxies.values()) if (replaces(reg, name, old)) this.proxies.delete(old.id)
    const id = `${process.pid.toString(36)}-${(++this.seq).toString(36)}-${now.toString(36)}`
    const rec: ProxyRecord = {
      ...reg, id, name, configVersion: 0, ackedVersion: 0, nack: null,
      connected: false, appReady: reg.kind === 'gateway', draining: false, lastSeen: now, appPid: null, observed: null, certificate: null,
    }
    this.proxies.set(id, rec)
    this.onChange()
    return rec
  }

  /** How many proxies of the same Workload (or Gateway) registering `reg` would leave in place. */
  besides(reg: ProxyRegistration): number {
    const name = nameOf(reg)
    let n = 0
    for (const p of this.proxies.values()) {
      if (p.kind === reg.kind && p.workload === reg.workload && p.gateway === reg.gateway && !replaces(reg, name, p)) n++
    }
    return n
  }

  get(id: string): ProxyRecord | undefined { return this.proxies.get(id) }
  list(): ProxyRecord[] { return [...this.proxies.values()].sort((a, b) => cmp(a.name, b.name)) }

  /** Heartbeat / status report: refreshes the TTL; a change of app readiness changes membership.
   *  A sidecar's first report after a control-plane restart replaces its recovered instance: until
   *  then the recovered one keeps serving, so callers never lose the endpoint in between. */
  report(rec: ProxyRecord, appReady: boolean, now: number): void {
    rec.lastSeen = now
    const replaced = this.recovered.delete(rec.name)
    const changed = rec.appReady !== appReady
    rec.appReady = appReady
    if (changed || replaced) this.onChange()
  }

  setConnected(rec: ProxyRecord, connected: boolean, now: number): void {
    rec.lastSeen = now
    if (rec.connected === connected) return
    rec.connected = connected
    this.onChange()
  }

  /** Marks an instance (one incarnation of it, or every one) draining: no new traffic. */
  setDraining(name: string, draining: boolean, incarnation: string | null = null): boolean {
    let found = false
    for (const rec of this.proxies.values()) {
      if (rec.name !== name || (incarnation !== null && rec.incarnation !== incarnation)) continue
      found = true
      if (rec.draining !== draining) { rec.draining = draining; this.onChange() }
    }
    return found
  }

  /** The app process that `up` started for an instance, for `get instances`. */
  setAppPid(name: string, pid: number, incarnation: string | null = null): boolean {
    for (const rec of this.proxies.values()) if (rec.name === name && (incarnation === null || rec.incarnation === incarnation)) { rec.appPid = pid; return true }
    return false
  }

  remove(id: string): void {
    if (this.proxies.delete(id)) this.onChange()
  }

  /** Drops proxies and recovered instances not heard from within the TTL; returns the proxies' ids.
   *  Sweeps come often (every 500 ms): a gap of half a TTL or more means the control plane itself was
   *  not running (a blocked event loop, a suspended machine), with the proxies' reports queued behind
   *  it. That time is not held against them, or every proxy would expire at once. */
  sweep(now: number): string[] {
    const gap = this.lastSweep > 0 ? now - this.lastSweep : 0
    this.lastSweep = now
    if (gap >= this.ttlMs / 2) {
      for (const rec of this.proxies.values()) rec.lastSeen += gap
      for (const inst of this.recovered.values()) inst.lastSeen += gap
    }
    let changed = false
    const expired: string[] = []
    for (const rec of this.proxies.values()) {
      if (now - rec.lastSeen > this.ttlMs) { this.proxies.delete(rec.id); expired.push(rec.id); changed = true }
    }
    for (const [id, inst] of this.recovered) {
      if (now - inst.lastSeen > this.ttlMs) { this.recovered.delete(id); changed = true }
    }
    if (changed) this.onChange()
    return expired
  }

  restore(instances: readonly StoredInstance[], now: number): void {
    for (const inst of instances) this.recovered.set(`${inst.workload}/${inst.replica}`, { ...inst, lastSeen: now })
  }

  /** The other replicas' instances, as the shared store reports them. */
  setRemote(instances: readonly StoredInstance[]): void {
    this.remote = instances
    this.onChange()
  }

  /** Endpoint candidates for projection: sidecars whose app answers, plus recovered and remote ones. */
  instances(): InstanceRecord[] {
    const out: InstanceRecord[] = []
    for (const rec of this.proxies.values()) {
      if (rec.kind !== 'sidecar' || !rec.inboundAddress || !rec.workload) continue
      out.push({
        workload: rec.workload, replica: rec.replica ?? 0, labels: rec.labels, address: rec.inboundAddress, identity: rec.identity,
        ready: rec.connected && rec.appReady, draining: rec.draining,
      })
    }
    const local = new Set(out.map(i => i.address))
    const serving = new Set(out.filter(i => i.ready).map(i => i.address))
    const add = (inst: StoredInstance) => {
      local.add(inst.address)
      serving.add(inst.address)
      out.push({ workload: inst.workload, replica: inst.replica, labels: inst.labels, address: inst.address, identity: inst.identity, ready: true, draining: false })
    }
    // A recovered instance serves until its proxy's first report, even once it has registered again.
    for (const inst of this.recovered.values()) if (!serving.has(inst.address)) add(inst)
    for (const inst of this.remote) if (!local.has(inst.address)) add(inst)   // registered here now: the live record wins
    return out.sort((a, b) => cmp(a.workload, b.workload) || a.replica - b.replica)
  }

  /** What survives a restart: sidecar instances and where they were. */
  toStored(): StoredInstance[] {
    const out: StoredInstance[] = []
    for (const rec of this.proxies.values()) {
      if (rec.kind !== 'sidecar' || !rec.inboundAddress || !rec.workload || !rec.appReady || rec.draining || !rec.connected) continue
      out.push({
        id: rec.name, workload: rec.workload, replica: rec.replica ?? 0, labels: rec.labels, address: rec.inboundAddress, pid: rec.pid, proxy: rec.id,
        identity: rec.identity,
      })
    }
    for (const [id, inst] of this.recovered) out.push({ ...inst, id })
    return out
  }
}

function nameOf(reg: ProxyRegistration): string {
  return reg.kind === 'sidecar' ? `${reg.workload}/${reg.replica}` : `gateway:${reg.gateway}`
}

/** A restarted proxy replaces its old record; a replacement of another incarnation runs beside it
 *  until that one is drained (surge), unless the old one is gone already. */
function replaces(reg: ProxyRegistration, name: string, old: ProxyRecord): boolean {
  return old.name === name && (old.incarnation === reg.incarnation || !old.connected)
}

function cmp(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0 }
