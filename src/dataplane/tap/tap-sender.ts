// Sends one tap's summaries from a proxy to the control plane in small batches: at most one batch
// in flight, a bounded buffer, and a rate cap. What does not fit is dropped and counted, so a slow
// control plane or a slow `trellis tap` reader never holds memory or slows requests down.
import type { TapEvent, TapSink } from '../../telemetry/tap-hub.js'
import { nowMs } from '../../lib/monotonic-clock.js'

export interface TapBatch { readonly events: readonly TapEvent[]; readonly dropped: number }

const MAX_BUFFER = 256
const FLUSH_MS = 50

export class TapSender implements TapSink {
  private buffer: TapEvent[] = []
  private dropped = 0
  private inFlight = false
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private tokens: number
  private at = nowMs()

  /** `send` rejects with `status` 404 or 410 once the tap is gone: the sender then calls `gone`. */
  constructor(private readonly send: (batch: TapBatch) => Promise<unknown>, private readonly ratePerSec: number, private readonly gone: () => void) {
    this.tokens = ratePerSec
  }

  offer(event: TapEvent): void {
    if (this.closed) return
    const now = nowMs()
    this.tokens = Math.min(this.ratePerSec, this.tokens + ((now - this.at) * this.ratePerSec) / 1000)
    this.at = now
    if (this.tokens < 1 || this.buffer.length >= MAX_BUFFER) { this.dropped++; return }
    this.tokens--
    this.buffer.push(event)
    this.schedule()
  }

  close(): void {
    this.closed = true
    if (this.timer) { clearTimeout(this.timer); this.timer = null }
  }

  private schedule(): void {
    if (this.timer !== null || this.inFlight || this.closed) return
    this.timer = setTimeout(() => this.flush(), FLUSH_MS)
    this.timer.unref()
  }

  private flush(): void {
    this.timer = null
    if (this.closed || this.inFlight || (this.buffer.length === 0 && this.dropped === 0)) return
    const batch: TapBatch = { events: this.buffer, dropped: this.dropped }
    this.buffer = []
    this.dropped = 0
    this.inFlight = true
    this.send(batch).then(
      () => { this.inFlight = false; if (this.buffer.length > 0 || this.dropped > 0) this.schedule() },
      (err: { status?: number }) => {
        this.inFlight = false
        if (err.status === 404 || err.status === 410) { this.close(); this.gone(); return }
        this.dropped += batch.events.length + batch.dropped
        this.schedule()
      },
    )
  }
}
