// Live request summaries for `trellis tap`. The request path reads one boolean per request while no
// tap listens (`active` on a sidecar's inbound side, `tagging` where callers name their route);
// summaries are made only while one does.
export interface TapEvent {
  readonly time: number                 // epoch ms when the response ended
  readonly method: string
  /** The normalized path, without the query: query strings may carry secrets. */
  readonly path: string
  readonly status: number
  readonly latencyMs: number
  /** The caller's identity, as mTLS proved it; null for a plaintext caller. */
  readonly source: string | null
  readonly sourceAddress: string
  /** The caller's route, as its proxy named it (x-trellis-route) while the tap runs; null if none. */
  readonly route: string | null
}

export interface TapSink { offer(event: TapEvent): void }

export class TapHub {
  /** True while a tap receives this proxy's inbound summaries. */
  active = false
  /** True while a tap wants this proxy, as a caller, to tell the callee which route it matched. */
  tagging = false
  /** Summaries made so far (tests check none is made without a tap). */
  made = 0
  private sinks: readonly TapSink[] = []
  private taggers = 0

  /** Adds a receiver of summaries; the function returned removes it. */
  subscribe(sink: TapSink): () => void {
    this.sinks = [...this.sinks, sink]
    this.active = true
    let done = false
    return () => {
      if (done) return
      done = true
      this.sinks = this.sinks.filter(s => s !== sink)
      this.active = this.sinks.length > 0
    }
  }

  /** Turns route tagging on until the function returned is called (counted: taps overlap). */
  tag(): () => void {
    this.taggers++
    this.tagging = true
    let done = false
    return () => {
      if (done) return
      done = true
      this.taggers--
      this.tagging = this.taggers > 0
    }
  }

  publish(event: TapEvent): void {
    this.made++
    const sinks = this.sinks
    for (let i = 0; i < sinks.length; i++) sinks[i].offer(event)
  }
}
