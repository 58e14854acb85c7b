// A proxy's side of `trellis tap`: the control plane starts and stops taps with messages on the
// config stream. A tap receives this sidecar's inbound summaries (`events`), or asks this proxy, as a
// caller of the tapped Service, to name the route it matched (`tag`) and to summarize the requests
// for that Service it answers itself (`answers`, with `service`), or both.
// Every tap ends when the stream does: a new stream gets the taps still running sent again.
import type { ControlMessage } from '../config-client.js'
import type { TapHub } from '../../telemetry/tap-hub.js'
import { TapSender, type TapBatch } from './tap-sender.js'

const DEFAULT_RATE = 100
const MAX_RATE = 10_000

export class TapControl {
  private readonly taps = new Map<string, () => void>()

  /** `send` posts a tap's batch to the control plane (the proxy's own credentials). */
  constructor(private readonly hub: TapHub, private readonly send: (tapId: string, batch: TapBatch) => Promise<unknown>) {}

  handle(msg: ControlMessage): void {
    const id = typeof msg.id === 'string' && /^[\w-]{1,64}$/.test(msg.id) ? msg.id : null
    if (id === null) return
    if (msg.type === 'tap') this.start(id, msg)
    else if (msg.type === 'untap') this.stop(id)
  }

  get running(): number { return this.taps.size }

  stop(id: string): void {
    const stop = this.taps.get(id)
    if (!stop) return
    this.taps.delete(id)
    stop()
  }

  clear(): void {
    for (const id of [...this.taps.keys()]) this.stop(id)
  }

  private start(id: string, msg: ControlMessage): void {
    if (this.taps.has(id)) return
    const stops: (() => void)[] = []
    if (msg.tag === true) stops.push(this.hub.tag())
    const answers = msg.answers === true && typeof msg.service === 'string' ? msg.service : null
    if (msg.events === true || answers !== null) {
      const rate = typeof msg.rate === 'number' && msg.rate >= 1 ? Math.min(msg.rate, MAX_RATE) : DEFAULT_RATE
      const sender = new TapSender(batch => this.send(id, batch), rate, () => this.stop(id))
      if (msg.events === true) stops.push(this.hub.subscribe(sender))
      if (answers !== null) stops.push(this.hub.watchAnswers(answers, sender))
      stops.push(() => sender.close())
    }
    this.taps.set(id, () => { for (const s of stops) s() })
  }
}
