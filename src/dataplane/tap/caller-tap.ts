// `trellis tap` at a calling proxy (a sidecar's outbound side, a Gateway): requests it answers itself
// before any instance sees them (too large or malformed, no route, denied, unauthenticated, rate
// limited, no healthy endpoint, circuit open, …) never reach the sidecars a tap listens to, so the
// caller summarizes them, with the status and x-trellis-reason it answered, for the taps of the
// Service they were for: the picked backend's Service; before a pick, the Services of the matched
// route; with no route, the Service the listener stands for (none at a Gateway). Timeouts and resets
// are left out: those requests reached an instance, whose sidecar summarizes them. A head its HTTP
// parser refuses (400, 408, 431) has no route yet: at a sidecar's outbound port it is for the Service
// the port stands for (the app connected there to call that Service); at a Gateway, for none.
// Only while a tap asks for them (`active`), else nothing.
import type { Duplex } from 'node:stream'
import type { QualifiedName } from '../../ir/common.js'
import type { TapEvent, TapHub } from '../../telemetry/tap-hub.js'
import { meshReasonOf, type Reason } from '../errors.js'
import type { Exchange } from '../exchange.js'
import type { CallerTapHook, ParserRefusalTap, RequestHandler } from '../listener/http-listener.js'
import { nowMs } from '../../lib/monotonic-clock.js'
import { parserRefusalEvent } from './parser-refusal.js'

/** Longest path a summary carries (a 414's target may be tens of kilobytes). */
const MAX_PATH = 256

const REACHED_NO_INSTANCE: ReadonlySet<Reason> = new Set<Reason>([
  'no_route', 'no_backend', 'denied', 'unauthenticated', 'rate_limited', 'overloaded', 'unavailable',
  'too_large', 'bad_request', 'fault_injected',
])

/** The path a summary shows: as the client sent it, before any URLRewrite; a target refused as too
 *  long is cut short. */
export function tapPath(x: Exchange): string {
  return x.path.length > MAX_PATH ? `${x.path.slice(0, MAX_PATH)}…` : x.path
}

export class CallerTap implements CallerTapHook, ParserRefusalTap {
  private readonly own: readonly QualifiedName[]

  /** `service`: the Service a sidecar's outbound listener stands for; null at a Gateway. */
  constructor(private readonly hub: TapHub, service: QualifiedName | null) {
    this.own = service === null ? [] : [service]
  }

  get active(): boolean { return this.hub.answering }

  watch(x: Exchange, route: RequestHandler | null): void {
    // A pick only narrows the route's Services, so a request none of them is tapped for is skipped now.
    if (!this.hub.answersWanted(route !== null ? route.services ?? [] : this.own)) return
    const path = tapPath(x)
    // Its verified claims may move the request to another route; it is then watched again for that one.
    x.res.once('close', () => { if (x.matched === route) this.answered(x, route, path) })
  }

  parserRefused(socket: Duplex, status: number, reason: string): void {
    if (!this.hub.answersWanted(this.own)) return
    this.hub.publishAnswer(this.own, parserRefusalEvent(socket, status, reason, true))
  }

  private answered(x: Exchange, route: RequestHandler | null, path: string): void {
    const reason = meshReasonOf(x.res)
    if (reason === null || !REACHED_NO_INSTANCE.has(reason)) return
    if (x.service === '') return                       // picked a backend that names no Service: no tap is for it
    const services = x.service !== null ? [x.service] : route !== null ? route.services ?? [] : this.own
    if (!this.hub.answersWanted(services)) return
    this.hub.publishAnswer(services, callerEvent(x, route, path, reason))
  }
}

/** The summary a calling proxy makes of a request it served or answered: the caller is that proxy. */
export function callerEvent(x: Exchange, route: RequestHandler | null, path: string, reason: string | null): TapEvent {
  const name = x.route ?? route?.route ?? null
  return {
    time: Date.now(), method: x.req.method ?? 'GET', path, status: x.res.statusCode,
    latencyMs: Math.round((nowMs() - x.startMs) * 1000) / 1000, source: null, sourceAddress: x.client,
    route: name === '' ? null : name, reason, atCaller: true,
  }
}
