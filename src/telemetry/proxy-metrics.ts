// Proxy request metrics without per-request allocation: each (listener, route, backend) series is
// created once at build time and keeps plain number fields; text is rendered only on scrape.
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

export class RequestSeries {
  readonly byClass = new Float64Array(6)               // index = status / 100 (0 = no response)
  readonly buckets = new Float64Array(BUCKETS_MS.length + 1)
  sumMs = 0
  count = 0
  constructor(readonly labels: string) {}

  observe(status: number, latencyMs: number): void {
    const cls = (status / 100) | 0
    this.byClass[cls >= 1 && cls <= 5 ? cls : 0]++
    let i = 0
    while (i < BUCKETS_MS.length && latencyMs > BUCKETS_MS[i]) i++
    this.buckets[i]++
    this.sumMs += latencyMs
    this.count++
  }
}

export class ProxyMetrics {
  private readonly series = new Map<string, RequestSeries>()
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>()
  private readonly collectors: (() => string)[] = []

  /** Adds text rendered at scrape time from state kept elsewhere (e.g. per-cluster counters). */
  addCollector(render: () => string): void { this.collectors.push(render) }

  /** The series for a label set; the same object is returned for the same labels across rebuilds. */
  requestSeries(labels: Record<string, string>): RequestSeries {
    const key = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',')
    let s = this.series.get(key)
    if (!s) { s = new RequestSeries(key); this.series.set(key, s) }
    return s
  }

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
        out.push(`trellis_requests_total{${s.labels},status_class="${cls}"} ${s.byClass[c]}`)
      }
    }
    out.push('# HELP trellis_request_duration_seconds Request latency through the proxy.')
    out.push('# TYPE trellis_request_duration_seconds histogram')
    for (const s of this.series.values()) {
      if (s.count === 0) continue
      let cum = 0
      for (let i = 0; i < BUCKETS_MS.length; i++) {
        cum += s.buckets[i]
        out.push(`trellis_request_duration_seconds_bucket{${s.labels},le="${BUCKETS_MS[i] / 1000}"} ${cum}`)
      }
      out.push(`trellis_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`)
      out.push(`trellis_request_duration_seconds_sum{${s.labels}} ${s.sumMs / 1000}`)
      out.push(`trellis_request_duration_seconds_count{${s.labels}} ${s.count}`)
    }
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`)
      for (const [labels, v] of c.values) out.push(`${name}${labels ? `{${labels}}` : ''} ${v}`)
    }
    for (const c of this.collectors) out.push(c().trimEnd())
    return out.join('\n') + '\n'
  }
}

function escape(v: string): string { return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') }
