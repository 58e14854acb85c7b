// `trellis tap --gateway NAME`: a Gateway tapped as a whole summarizes every request it serves, the
// ones it forwards and the ones it answers itself, including those no tap of a Service can show
// (no route, refused before routing, a head the HTTP parser refused). Taps of a Service still get the Gateway's own answers for
// that Service (caller-tap.ts). Only while a tap asks (`hub.active`), else nothing.
import type { Duplex } from 'node:stream'
import type { TapHub } from '../../telemetry/tap-hub.js'
import { meshReasonOf } from '../errors.js'
import type { Exchange } from '../exchange.js'
import type { CallerTapHook, ParserRefusalTap, RequestHandler } from '../listener/http-listener.js'
import { CallerTap, callerEvent, tapPath } from './caller-tap.js'
import { parserRefusalEvent } from './parser-refusal.js'

export class GatewayTap implements CallerTapHook, ParserRefusalTap {
  private readonly answers: CallerTap

  constructor(private readonly hub: TapHub) {
    this.answers = new CallerTap(hub, null)
  }

  get active(): boolean { return this.hub.active || this.hub.answering }

  watch(x: Exchange, route: RequestHandler | null): void {
    if (this.hub.answering) this.answers.watch(x, route)
    if (!this.hub.active) return
    const path = tapPath(x)
    // Its verified claims may move the request to another route; it is then watched again for that one.
    x.res.once('close', () => { if (x.matched === route) this.served(x, route, path) })
  }

  parserRefused(socket: Duplex, status: number, reason: string): void {
    if (!this.hub.active) return
    this.hub.publish({ ...parserRefusalEvent(socket, status, reason, true), service: null })
  }

  private served(x: Exchange, route: RequestHandler | null, path: string): void {
    if (!this.hub.active) return
    this.hub.publish({ ...callerEvent(x, route, path, meshReasonOf(x.res)), service: x.service === '' ? null : x.service })
  }
}
