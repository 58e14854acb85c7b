// What a proxy's status report carries about traffic: per series, the counts since the previous
// report. Only series that saw requests are sent, so an idle proxy sends nothing. A report that
// fails is undone, so its counts go out with the next one instead of being lost.
import { BUCKET_COUNT } from './latency-histogram.js'
import type { ProxyMetrics, RequestSeries } from './proxy-metrics.js'

export interface SeriesDelta {
  readonly listener: string
  readonly route: string
  readonly backend: string
  /** The caller's identity on a sidecar's inbound side ('' = plaintext); null elsewhere. */
  readonly caller: string | null
  /** Requests by status class: [none, 1xx, 2xx, 3xx, 4xx, 5xx]. */
  readonly classes: number[]
  /** Latency histogram counts (latency-histogram.ts BUCKETS_MS, then one above the last bound). */
  readonly buckets: number[]
  readonly sumMs: number
}

export interface StatsBatch {
  readonly deltas: SeriesDelta[]
  /** Puts the counts back, for a report that did not reach the control plane. */
  undo(): void
}

const SUM = 6 + BUCKET_COUNT

export function takeStats(metrics: ProxyMetrics): StatsBatch {
  const deltas: SeriesDelta[] = []
  const taken: [RequestSeries, Float64Array][] = []
  for (const s of metrics.allSeries()) {
    const r = s.reported
    let before = 0
    for (let c = 0; c < 6; c++) before += r[c]
    if (s.count === before) continue
    const d = new Float64Array(r.length)
    for (let c = 0; c < 6; c++) { d[c] = s.byClass[c] - r[c]; r[c] = s.byClass[c] }
    for (let b = 0; b < BUCKET_COUNT; b++) { d[6 + b] = s.buckets[b] - r[6 + b]; r[6 + b] = s.buckets[b] }
    d[SUM] = s.sumMs - r[SUM]
    r[SUM] = s.sumMs
    taken.push([s, d])
    deltas.push({
      listener: s.labels.listener, route: s.labels.route, backend: s.labels.backend, caller: s.labels.caller ?? null,
      classes: Array.from(d.subarray(0, 6)), buckets: Array.from(d.subarray(6, SUM)), sumMs: d[SUM],
    })
  }
  return {
    deltas,
    undo: () => { for (const [s, d] of taken) for (let i = 0; i < d.length; i++) s.reported[i] -= d[i] },
  }
}
