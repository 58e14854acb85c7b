// A sidecar's inbound side records each request by caller (the identity mTLS proved) for
// `trellis stat`, and hands a summary to `trellis tap` while one listens (with the reason when the
// sidecar answered itself: refused by ClientTrafficPolicy, denied, rate limited, the app unreachable). Without a tap the only
// extra work per request is the one `tap.active` check.
import { meshReasonOf } from '../errors.js'
import { peerIdentityOf } from '../mtls/peer-identity.js'
import type { CallerSeries } from '../../telemetry/proxy-metrics.js'
import type { TapEvent, TapHub } from '../../telemetry/tap-hub.js'
import type { Exchange } from '../exchange.js'
import type { Done } from '../upstream/forward.js'
import { nowMs } from '../../lib/monotonic-clock.js'
import { tapPath } from '../tap/caller-tap.js'

/** Set by a calling proxy while a tap runs: the route it matched, for the callee's summaries. */
export const ROUTE_HEADER = 'x-trellis-route'

export function inboundObserver(series: CallerSeries, tap: TapHub): Done {
  return (status, x) => {
    const latencyMs = nowMs() - x.startMs
    const caller = peerIdentityOf(x.req.socket)
    series.get(caller).observe(status, latencyMs)
    if (tap.active) tap.publish(summarize(x, status, latencyMs, caller))
  }
}

function summarize(x: Exchange, status: number, latencyMs: number, caller: string | null): TapEvent {
  // Only a mesh peer (proven by mTLS) may name a route; a plaintext client's header is ignored.
  const route = caller === null ? undefined : x.req.headers[ROUTE_HEADER]
  return {
    time: Date.now(), method: x.req.method ?? 'GET', path: tapPath(x), status,
    latencyMs: Math.round(latencyMs * 1000) / 1000, source: caller, sourceAddress: x.client,
    route: typeof route === 'string' && route.length <= 256 ? route : null,
    reason: meshReasonOf(x.res), atCaller: false,
  }
}
