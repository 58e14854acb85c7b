// Finished spans to an OpenTelemetry collector over OTLP/HTTP with JSON bodies, in batches (at
// most every second, or sooner past 256 spans). The queue is bounded: when the collector is slow or
// away, spans are dropped and counted — tracing never holds memory or requests hostage.
// The encoding is written here rather than with the OpenTelemetry SDK: a proxy on every instance
// must stay small and start fast, and OTLP/JSON for finished spans is a short, stable format.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface FinishedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | null
  readonly name: string
  readonly kind: 2 | 3                     // SERVER | CLIENT
  readonly startNs: bigint
  readonly endNs: bigint
  readonly error: boolean
  readonly attributes: readonly (readonly [string, string | number])[]
}

const MAX_QUEUE = 2048
const BATCH = 256
const FLUSH_MS = 1000

export class OtlpExporter {
  private queue: FinishedSpan[] = []
  private timer: NodeJS.Timeout | null = null
  private sending = false
  dropped = 0
  exported = 0
  private warned = false

  constructor(readonly endpoint: string, private readonly resource: Readonly<Record<string, string>>, private readonly log: (line: string) => void) {}

  add(span: FinishedSpan): void {
    if (this.queue.length >= MAX_QUEUE) { this.dropped++; return }
    this.queue.push(span)
    if (this.queue.length >= BATCH) this.flushSoon(0)
    else this.flushSoon(FLUSH_MS)
  }

  private flushSoon(ms: number): void {
    if (this.timer && ms > 0) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => { this.timer = null; this.flush() }, ms)
    this.timer.unref()
  }

  /** Sends what is queued (one request at a time). */
  flush(): void {
    if (this.sending || this.queue.length === 0) return
    const batch = this.queue.splice(0, BATCH)
    const body = JSON.stringify(encode(batch, this.resource))
    const url = new URL(this.endpoint)
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    this.sending = true
    let settled = false
    // Settles exactly once, whatever ends the exchange: an answer, an error, or a close without
    // either (a collector that hangs up mid-answer) — so `sending` can never stay stuck.
    const done = (ok: boolean, why = '') => {
      if (settled) return
      settled = true
      this.sending = false
      if (ok) this.exported += batch.length
      else {
        this.dropped += batch.length
        if (!this.warned) { this.warned = true; this.log(`tracing: cannot export spans to ${this.endpoint} (${why}); dropping them until it answers`) }
      }
      if (ok) this.warned = false
      if (this.queue.length > 0) this.flushSoon(ok ? 0 : FLUSH_MS)
    }
    const req = send(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 5000 }, res => {
      res.resume()
      res.once('end', () => done((res.statusCode ?? 500) < 300, `status ${res.statusCode}`))
    })
    req.once('timeout', () => req.destroy(new Error('timed out')))
    req.once('error', err => done(false, err.message))
    req.once('close', () => done(false, 'connection closed before a complete answer'))
    req.end(body)
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.flush()
  }
}

function encode(spans: readonly FinishedSpan[], resource: Readonly<Record<string, string>>) {
  return {
    resourceSpans: [{
      resource: { attributes: Object.entries(resource).map(([key, value]) => attribute(key, value)) },
      scopeSpans: [{
        scope: { name: 'trellis' },
        spans: spans.map(s => ({
          traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name, kind: s.kind, startTimeUnixNano: String(s.startNs), endTimeUnixNano: String(s.endNs),
          attributes: s.attributes.map(([k, v]) => attribute(k, v)),
          status: { code: s.error ? 2 : 0 },
        })),
      }],
    }],
  }
}

function attribute(key: string, value: string | number) {
  return { key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } }
}
