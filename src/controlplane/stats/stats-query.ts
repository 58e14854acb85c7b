// Golden signals over a window from the stored samples: requests per second, success rate (answers
// other than 5xx) and latency quantiles from the summed histograms.
// A Service's own numbers are its instances' inbound side (what its sidecars served, by caller as
// mTLS proved it); its routes are seen from the callers (sidecars' outbound side and gateways),
// which are the only ones that know the route. A Service without a selector (static endpoints
// only) has no sidecars: its numbers come from its callers.
import type { MeshIR, QualifiedName, ServiceIR } from '../../ir/index.js'
import { BUCKET_COUNT, quantileMs } from '../../telemetry/latency-histogram.js'
import type { SeriesDelta } from '../../telemetry/series-delta.js'
import type { Sample } from './stats-store.js'

export interface GoldenSignals {
  readonly requests: number
  readonly rps: number
  /** Share of answers that were not 5xx (nor missing); null without requests. */
  readonly successRate: number | null
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number } | null
}

export interface ServiceStats extends GoldenSignals {
  readonly service: QualifiedName
  /** Where the numbers come from: the Service's sidecars, or its callers (static endpoints). */
  readonly source: 'inbound' | 'callers'
}

export interface ServiceDetail {
  readonly windowMs: number
  readonly service: ServiceStats
  readonly routes: readonly (GoldenSignals & { readonly route: string })[]
  /** By caller identity (null: plaintext callers). */
  readonly callers: readonly (GoldenSignals & { readonly caller: string | null })[]
  readonly instances: readonly (GoldenSignals & { readonly instance: string })[]
}

class Tally {
  readonly classes = [0, 0, 0, 0, 0, 0]
  readonly buckets: number[] = new Array<number>(BUCKET_COUNT).fill(0)

  add(d: SeriesDelta): void {
    for (let c = 0; c < 6; c++) this.classes[c] += d.classes[c]
    for (let b = 0; b < BUCKET_COUNT; b++) this.buckets[b] += d.buckets[b]
  }

  signals(windowMs: number): GoldenSignals {
    const requests = this.classes.reduce((a, b) => a + b, 0)
    if (requests === 0) return { requests: 0, rps: 0, successRate: null, latencyMs: null }
    const failed = this.classes[0] + this.classes[5]
    const q = (p: number) => round(quantileMs(this.buckets, p) ?? 0, 2)
    return {
      requests, rps: round(requests / (windowMs / 1000), 3), successRate: round((requests - failed) / requests, 4),
      latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
    }
  }
}

/** Tallies by key, in key order. */
class Tallies {
  private readonly byKey = new Map<string, Tally>()
  add(key: string, d: SeriesDelta): void {
    let t = this.byKey.get(key)
    if (!t) { t = new Tally(); this.byKey.set(key, t) }
    t.add(d)
  }
  rows<K>(windowMs: number, row: (key: string) => K): (GoldenSignals & K)[] {
    return [...this.byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, t]) => ({ ...row(k), ...t.signals(windowMs) }))
  }
}

/** Decides which samples speak for which Service. */
class Attribution {
  private readonly servicesOf = new Map<string, readonly QualifiedName[]>()
  constructor(ir: MeshIR) {
    for (const w of ir.workloads) this.servicesOf.set(w.name, w.services)
  }

  /** An inbound series of a sidecar serving `svc`. */
  served(s: Sample, d: SeriesDelta, svc: QualifiedName): boolean {
    return d.listener === 'inbound' && s.proxy.kind === 'sidecar' && (this.servicesOf.get(s.proxy.workload ?? '')?.includes(svc) ?? false)
  }

  /** A caller's series that addressed `svc` (its outbound listener) or sent to it (a backend). */
  called(d: SeriesDelta, svc: QualifiedName): boolean {
    return d.listener !== 'inbound' && (d.backend === svc || d.listener === `outbound|${svc}`)
  }

  sentTo(d: SeriesDelta, svc: QualifiedName): boolean {
    return d.listener !== 'inbound' && d.backend === svc
  }
}

export function statsOverview(ir: MeshIR, samples: readonly Sample[], windowMs: number): { windowMs: number; items: ServiceStats[] } {
  // One pass over the samples, each series tallied for the Services it speaks for.
  const servicesOf = new Map(ir.workloads.map(w => [w.name, w.services]))
  const staticOnly = new Set(ir.services.filter(s => s.selector === null).map(s => s.name))
  const tallies = new Map(ir.services.map(s => [s.name, new Tally()]))
  for (const s of samples) {
    const served = s.proxy.kind === 'sidecar' ? servicesOf.get(s.proxy.workload ?? '') ?? [] : []
    for (const d of s.series) {
      if (d.listener === 'inbound') { for (const svc of served) tallies.get(svc)?.add(d) }
      else if (staticOnly.has(d.backend)) tallies.get(d.backend)!.add(d)
    }
  }
  const items = ir.services.map(svc => ({ service: svc.name, source: svc.selector !== null ? 'inbound' as const : 'callers' as const, ...tallies.get(svc.name)!.signals(windowMs) }))
  return { windowMs, items }
}

export function serviceDetail(ir: MeshIR, svc: ServiceIR, samples: readonly Sample[], windowMs: number): ServiceDetail {
  const who = new Attribution(ir)
  const routes = new Tallies(), callers = new Tallies(), instances = new Tallies()
  const inbound = svc.selector !== null
  for (const s of samples) {
    for (const d of s.series) {
      if (who.called(d, svc.name)) routes.add(d.route, d)
      if (inbound && who.served(s, d, svc.name)) { callers.add(d.caller ?? '', d); instances.add(s.proxy.name, d) }
      if (!inbound && who.sentTo(d, svc.name)) callers.add(s.proxy.identity, d)
    }
  }
  return {
    windowMs,
    service: serviceRow(svc, samples, windowMs, who),
    routes: routes.rows(windowMs, route => ({ route })),
    callers: callers.rows(windowMs, caller => ({ caller: caller === '' ? null : caller })),
    instances: instances.rows(windowMs, instance => ({ instance })),
  }
}

function serviceRow(svc: ServiceIR, samples: readonly Sample[], windowMs: number, who: Attribution): ServiceStats {
  const t = new Tally()
  const inbound = svc.selector !== null
  for (const s of samples) {
    for (const d of s.series) if (inbound ? who.served(s, d, svc.name) : who.sentTo(d, svc.name)) t.add(d)
  }
  return { service: svc.name, source: inbound ? 'inbound' : 'callers', ...t.signals(windowMs) }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}
