// A proxy's tracing: every request leaves with a `traceparent` naming this hop's span (the trace
// continues when one arrived, else starts here, sampled at the Mesh's rate); a sampled request is
// recorded as a span when an OTLP endpoint is configured. Without one, only the header is rewritten.
import type { TracingIR } from '../../ir/mesh.js'
import type { Exchange } from '../exchange.js'
import { peerIdentityOf } from '../mtls/peer-identity.js'
import { OtlpExporter } from './otlp-exporter.js'
import { formatTraceParent, newSpanId, newTraceId, parseTraceParent } from './trace-context.js'
import { wallClockNs } from '../../lib/monotonic-clock.js'

export class Tracer {
  private samplingPercent = 1
  private exporter: OtlpExporter | null = null

  constructor(private readonly resource: Readonly<Record<string, string>>, private readonly log: (line: string) => void) {}

  configure(ir: TracingIR): void {
    this.samplingPercent = ir.samplingPercent
    if (this.exporter?.endpoint === (ir.otlpEndpoint ?? null)) return
    this.exporter?.close()
    this.exporter = ir.otlpEndpoint ? new OtlpExporter(ir.otlpEndpoint, this.resource, this.log) : null
  }

  get exported(): number { return this.exporter?.exported ?? 0 }
  get dropped(): number { return this.exporter?.dropped ?? 0 }

  /** Sets the outgoing traceparent for this hop; records the span when sampled and exporting. */
  start(x: Exchange, listener: string, kind: 2 | 3): void {
    const parent = parseTraceParent(x.req.headers.traceparent)
    const sampled = parent ? parent.sampled : this.samplingPercent > 0 && Math.random() * 100 < this.samplingPercent
    const traceId = parent ? parent.traceId : newTraceId()
    const spanId = newSpanId()
    x.headers.traceparent = formatTraceParent(traceId, spanId, sampled)
    // A `tracestate` belongs to the trace that arrived with it: when that trace is missing or
    // malformed and a new one starts here, its vendor state must not ride along (W3C Trace Context).
    if (parent === null && x.headers.tracestate !== undefined) delete x.headers.tracestate
    const exporter = this.exporter
    if (!sampled || exporter === null || !x.res) return      // (an Upgrade has no response object)
    const startNs = wallClockNs()
    // Read now: over HTTP/2 the request's socket is reached through its session, gone by 'close'.
    const peer = peerIdentityOf(x.req.socket)
    x.res.once('close', () => {
      const status = x.res.statusCode
      const attributes: [string, string | number][] = [
        ['http.request.method', x.req.method ?? 'GET'], ['url.path', x.path], ['http.response.status_code', status],
        ['trellis.listener', listener],
      ]
      if (x.route !== null) attributes.push(['trellis.route', x.route])
      if (peer !== null) attributes.push(['trellis.peer.identity', peer])
      exporter.add({
        traceId, spanId, parentSpanId: parent?.parentId ?? null, name: `${listener} ${x.req.method ?? 'GET'}`, kind,
        startNs, endNs: wallClockNs(), error: status >= 500 || !x.res.writableFinished, attributes,
      })
    })
  }

  close(): void { this.exporter?.close() }

  metricsText(): string {
    return [
      '# HELP trellis_spans_exported_total Spans sent to the OTLP endpoint.', '# TYPE trellis_spans_exported_total counter',
      `trellis_spans_exported_total ${this.exported}`,
      '# HELP trellis_spans_dropped_total Spans dropped (queue full or the collector not answering).', '# TYPE trellis_spans_dropped_total counter',
      `trellis_spans_dropped_total ${this.dropped}`,
    ].join('\n') + '\n'
  }
}
