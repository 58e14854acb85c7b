// `trellis tap` of heads the HTTP parser refuses: malformed (400 `bad_request`), too large (431
// `too_large`) or not in time (408 `timeout`). They are answered and the connection closed before
// there is a request, so no other tap hook sees them. Their summary has no method or path and
// latency 0; it names whom the connection came from: the client's address and, past mTLS, the
// identity it proved. Each listener's owner decides whose taps get them: a Gateway's (gateway-tap.ts),
// the upstream Service's at a sidecar's outbound port (caller-tap.ts), the served Services' at its
// inbound port (below).
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TapEvent, TapHub } from '../../telemetry/tap-hub.js'
import type { ParserRefusalTap } from '../listener/http-listener.js'
import { clientAddress } from '../listener/forward-headers.js'
import { peerIdentityOf } from '../mtls/peer-identity.js'

/** `atCaller`: refused by a calling proxy, which the summary then names as the caller (`source` null). */
export function parserRefusalEvent(socket: Duplex, status: number, reason: string, atCaller: boolean): TapEvent {
  return {
    time: Date.now(), method: '', path: '', status, latencyMs: 0,
    source: atCaller ? null : peerIdentityOf(socket), sourceAddress: clientAddress((socket as Socket).remoteAddress),
    route: null, reason, atCaller,
  }
}

/** A sidecar's inbound port: refusals go with its inbound summaries, to the taps of the Services its
 *  instance serves. */
export class InboundParserRefusals implements ParserRefusalTap {
  constructor(private readonly hub: TapHub) {}

  get active(): boolean { return this.hub.active }

  parserRefused(socket: Duplex, status: number, reason: string): void {
    this.hub.publish(parserRefusalEvent(socket, status, reason, false))
  }
}
