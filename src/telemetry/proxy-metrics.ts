// Proxy request metrics without per-request allocation: each (listener, route, backend[, caller])
// series is created once (at build time, or on a caller's first request) and keeps plain number
// fields; text is rendered only on scrape, and deltas are taken only for status reports.
import { BUCKETS_MS, BUCKET_COUNT, bucketOf } from './latency-histogram.js'

/** What a series counts: a route's backend on a listener; on a sidecar's inbound side also the
 *  caller, as mTLS proved it ('' for plaintext callers). */
export interface SeriesLabels {
  readonly listener: string
  readonly route: string
  readonly backend: string
  readonly caller?: string
}

export class RequestSeries {
  readonly byClass = new Float64Array(6)               // index = status / 100 (0 = no response)
  readonly buckets = new Float64Array(BUCKET_COUNT)
  sumMs = 0
  count = 0
  /** Counts as of the last stats report (series-delta.ts): byClass, buckets, sumMs. */
  readonly reported = new Float64Array(6 + BUCKET_COUNT + 1)
  constructor(readonly text: string, readonly labels: SeriesLabels) {}

  observe(status: number, latencyMs: number): void {
    const cls = (status / 100) | 0
    this.byClass[cls >= 1 && cls <= 5 ? cls : 0]++
    this.buckets[bucketOf(latencyMs)]++
    this.sumMs += latencyMs
    this.count++
  }
}

/** One backend's series split by caller identity: a series per caller, made on its first request.
 *  Callers are mesh identities, so few; past MAX_CALLERS the rest share one series. */
export class CallerSeries {
  private static readonly MAX_CALLERS = 1000
  private readonly byCaller = new Map<string, RequestSeries>()

  constructor(private readonly metrics: ProxyMetrics, private readonly labels: SeriesLabels) {}

  get(caller: string | null): RequestSeries {
    const key = caller ?? ''
    const s = this.byCaller.get(key)
    if (s !== undefined) return s
    const name = this.byCaller.size < CallerSeries.MAX_CALLERS ? key : '(other)'
    const made = this.metrics.requestSeries({ ...this.labels, caller: name })
    this.byCaller.set(key, made)
    return made
  }
}

export class ProxyMetrics {
  private readonly series = new Map<string, RequestSeries>()
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>()
  private readonly collectors: (() => string)[] = []

  /** Adds text rendered at scrape time from state kept elsewhere (e.g. per-cluster counters). */
  addCollector(render: () => string): void { this.collectors.push(render) }

  /** The series for a label set; the same object is returned for the same labels across rebuilds. */
  requestSeries(labels: SeriesLabels): RequestSeries {
    let key = `listener="${escapeLabelValue(labels.listener)}",route="${escapeLabelValue(labels.route)}",backend="${escapeLabelValue(labels.backend)}"`
    if (labels.caller !== undefined) key += `,caller="${escapeLabelValue(labels.caller)}"`
    let s = this.series.get(key)
    if (!s) { s = new RequestSeries(key, labels); this.series.set(key, s) }
    return s
  }

  /** A backend's series split by caller (a sidecar's inbound side). */
  callerSeries(labels: SeriesLabels): CallerSeries { return new CallerSeries(this, labels) }

  /** Every series, for stats reports. */
  allSeries(): IterableIterator<RequestSeries> { return this.series.values() }

  inc(name: string, help: string, labels = '', by = 1): void {
    let c = this.counters.get(name)
    if (!c) { c = { help, values: new Map() }; this.counters.set(name, c) }
    c.values.set(labels, (c.values.get(labels) ?? 0) + by)
  }

  render(): string {
    const out: string[] = []
    out.push('# HELP trellis_requests_total Requests handled, by listener, route, backend and status class.')
    out.push('# TYPE trellis_requests_total counter')
    for (const s of this.series.values()) {
      for (let c = 0; c < 6; c++) {
        if (s.byClass[c] === 0) continue
        const cls = c === 0 ? 'none' : `${c}xx`
        out.push(`trellis_requests_total{${s.text},status_class="${cls}"} ${s.byClass[c]}`)
      }
    }
    out.push('# HELP trellis_request_duration_seconds Request latency through the proxy.')
    out.push('# TYPE trellis_request_duration_seconds histogram')
    for (const s of this.series.values()) {
      if (s.count === 0) continue
      let cum = 0
      for (let i = 0; i < BUCKETS_MS.length; i++) {
        cum += s.buckets[i]
        out.push(`trellis_request_duration_seconds_bucket{${s.text},le="${BUCKETS_MS[i] / 1000}"} ${cum}`)
      }
      out.push(`trellis_request_duration_seconds_bucket{${s.text},le="+Inf"} ${s.count}`)
      out.push(`trellis_request_duration_seconds_sum{${s.text}} ${s.sumMs / 1000}`)
      out.push(`trellis_request_duration_seconds_count{${s.text}} ${s.count}`)
    }
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`)
      for (const [labels, v] of c.values) out.push(`${name}${labels ? `{${labels}}` : ''} ${v}`)
    }
    for (const c of this.collectors) out.push(c().trimEnd())
    return out.join('\n') + '\n'
  }
}

/** A Prometheus label value: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string { return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') }
