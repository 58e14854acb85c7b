// Live request summaries for `trellis tap`. The request path reads one boolean per request while no
// tap listens (`active` on a sidecar's inbound side, `tagging` where callers name their route,
// `answering` where callers summarize the requests they answer themselves); summaries are made only
// while one does.
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
  /** The x-trellis-reason of an answer the proxy made itself (denied, no_route, …); null when the app answered. */
  readonly reason: string | null
  /** Made by the calling proxy (a sidecar's outbound side, a gateway) for a request it answered
   *  itself before any instance saw it; `source` is then null: the caller is that proxy. */
  readonly atCaller: boolean
  /** At a Gateway tapped as a whole (`trellis tap --gateway`): the Service of the backend it picked,
   *  null when none was picked (no route, denied before routing …). */
  readonly service?: string | null
}

export interface TapSink { offer(event: TapEvent): void }

export class TapHub {
  /** True while a tap receives this proxy's inbound summaries (at a Gateway: of every request it serves). */
  active = false
  /** True while a tap wants this proxy, as a caller, to tell the callee which route it matched. */
  tagging = false
  /** True while a tap wants this proxy, as a caller, to summarize the requests it answers itself. */
  answering = false
  /** Summaries made so far (tests check none is made without a tap). */
  made = 0
  private sinks: readonly TapSink[] = []
  private taggers = 0
  /** Receivers of a caller's own answers, by the Service tapped. */
  private readonly answerSinks = new Map<string, readonly TapSink[]>()

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

  /** Adds a receiver of the summaries of requests for `service` this proxy answers itself. */
  watchAnswers(service: string, sink: TapSink): () => void {
    this.answerSinks.set(service, [...(this.answerSinks.get(service) ?? []), sink])
    this.answering = true
    let done = false
    return () => {
      if (done) return
      done = true
      const rest = (this.answerSinks.get(service) ?? []).filter(s => s !== sink)
      if (rest.length > 0) this.answerSinks.set(service, rest)
      else this.answerSinks.delete(service)
      this.answering = this.answerSinks.size > 0
    }
  }

  /** Whether a tap wants answers for one of `services`: the summary is made only then. */
  answersWanted(services: readonly string[]): boolean {
    for (let i = 0; i < services.length; i++) if (this.answerSinks.has(services[i])) return true
    return false
  }

  /** A request this proxy answered itself, offered to the taps of each of `services` (distinct). */
  publishAnswer(services: readonly string[], event: TapEvent): void {
    this.made++
    for (let i = 0; i < services.length; i++) {
      const sinks = this.answerSinks.get(services[i])
      if (sinks !== undefined) for (let k = 0; k < sinks.length; k++) sinks[k].offer(event)
    }
  }

  publish(event: TapEvent): void {
    this.made++
    const sinks = this.sinks
    for (let i = 0; i < sinks.length; i++) sinks[i].offer(event)
  }
}
