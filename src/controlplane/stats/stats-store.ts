// The traffic counts proxies send with their status reports (telemetry/series-delta.ts), kept for
// MAX_WINDOW_MS so `trellis stat` and the dashboard can sum any window up to it. Only reports that
// carried traffic are stored; each sample keeps who sent it, so the counts of a proxy that has
// since gone (a restarted replica) still count within the window.
import { BUCKET_COUNT } from '../../telemetry/latency-histogram.js'
import type { SeriesDelta } from '../../telemetry/series-delta.js'
import type { ProxyRecord } from '../registry.js'

export const MAX_WINDOW_MS = 10 * 60_000
/** Bounds on memory whatever proxies send: the oldest samples go first. A report may carry 2000
 *  series of 512-character names (~5 MB held): without a bound on bytes, a few hundred reports from
 *  one join token's holder would exhaust the control plane's memory within the window. */
const MAX_SAMPLES = 200_000
export const MAX_STATS_BYTES = 256 * 1024 * 1024
const MAX_SERIES_PER_REPORT = 2000
/** Roughly what a series holds besides its names: the object, 20 counts in two arrays. */
const SERIES_OVERHEAD_BYTES = 400

export interface Reporter {
  readonly name: string
  readonly kind: 'sidecar' | 'gateway'
  readonly workload: string | null
  readonly identity: string
}

export interface Sample { readonly at: number; readonly proxy: Reporter; readonly series: readonly SeriesDelta[]; readonly bytes: number }

export class StatsStore {
  private samples: Sample[] = []
  /** What the samples hold, estimated (series-bytes). */
  private held = 0
  /** When counting started: a window reaching further back covers only this much. */
  readonly startedAt: number

  constructor(now = Date.now(), private readonly maxBytes = MAX_STATS_BYTES) { this.startedAt = now }

  /** Stores a report's deltas; malformed entries (it comes from the network) are skipped. */
  ingest(proxy: ProxyRecord, raw: unknown, now: number): void {
    if (!Array.isArray(raw)) return
    const series: SeriesDelta[] = []
    let bytes = 0
    for (const d of raw.slice(0, MAX_SERIES_PER_REPORT)) {
      const clean = sanitize(d)
      if (clean) { series.push(clean); bytes += seriesBytes(clean) }
    }
    if (series.length === 0) return
    const reporter: Reporter = { name: proxy.name, kind: proxy.kind, workload: proxy.workload, identity: proxy.identity }
    this.samples.push({ at: now, proxy: reporter, series, bytes })
    this.held += bytes
    this.prune(now)
  }

  /** Samples received after `from` (epoch ms), oldest first. */
  after(from: number): Sample[] {
    return this.samples.slice(this.firstAfter(from))
  }

  /** The index of the first sample received after `from` (samples are in arrival order). */
  private firstAfter(from: number): number {
    let lo = 0, hi = this.samples.length
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.samples[mid].at > from) hi = mid; else lo = mid + 1 }
    return lo
  }

  get size(): number { return this.samples.length }
  /** Estimated bytes the samples hold; at most `maxBytes` plus one report. */
  get bytes(): number { return this.held }

  private prune(now: number): void {
    const first = this.samples[0]
    if (this.samples.length <= MAX_SAMPLES && this.held <= this.maxBytes && first.at > now - MAX_WINDOW_MS) return
    let drop = this.firstAfter(now - MAX_WINDOW_MS)
    for (let i = 0; i < drop; i++) this.held -= this.samples[i].bytes
    // The newest report always stays, however large: a window never reads as empty while traffic flows.
    while (drop < this.samples.length - 1 && (this.samples.length - drop > MAX_SAMPLES || this.held > this.maxBytes)) this.held -= this.samples[drop++].bytes
    if (drop > 0) this.samples = this.samples.slice(drop)
  }
}

function seriesBytes(d: SeriesDelta): number {
  return SERIES_OVERHEAD_BYTES + d.listener.length + d.route.length + d.backend.length + (d.caller?.length ?? 0)
}

function sanitize(d: unknown): SeriesDelta | null {
  if (!d || typeof d !== 'object') return null
  const o = d as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' && v.length <= 512 ? v : null)
  const counts = (v: unknown, n: number) => (Array.isArray(v) && v.length === n && v.every(x => typeof x === 'number' && Number.isFinite(x) && x >= 0) ? (v as number[]) : null)
  const listener = str(o.listener), route = str(o.route), backend = str(o.backend)
  const caller = o.caller === null || o.caller === undefined ? null : str(o.caller)
  if (caller === null && o.caller !== null && o.caller !== undefined) return null
  const classes = counts(o.classes, 6), buckets = counts(o.buckets, BUCKET_COUNT)
  const sumMs = typeof o.sumMs === 'number' && Number.isFinite(o.sumMs) && o.sumMs >= 0 ? o.sumMs : null
  if (listener === null || route === null || backend === null || !classes || !buckets || sumMs === null) return null
  return { listener, route, backend, caller, classes, buckets, sumMs }
}
