// Fault injection for resilience testing: delay and/or abort a percentage of requests.
// An injected abort carries x-trellis-reason: fault_injected. A gRPC request gets the abort's
// grpcStatus, else the gRPC status its HTTP status maps to (a 503 is UNAVAILABLE, a 404
// UNIMPLEMENTED), as a gRPC client would read that HTTP status. A client that leaves during an
// injected delay ends the request there: nothing is sent upstream for it.
import type { FaultInjectionIR } from '../../ir/index.js'
import { ProxyError, respondError } from '../errors.js'
import { grpcStatusForHttp } from '../grpc/grpc-status.js'
import { clientGone, type Exchange } from '../exchange.js'

/** Runs `next` now, later, or never (aborted); returns null when there is nothing to inject. */
export type Fault = (x: Exchange, next: () => void, done: (status: number, x: Exchange) => void) => void

export function faultInjection(cfg: FaultInjectionIR | null, random: () => number = Math.random): Fault | null {
  if (!cfg || (!cfg.delay && !cfg.abort)) return null
  const delay = cfg.delay, abort = cfg.abort
  // One answer for every aborted request, made here rather than per request.
  const aborted = abort === null ? null
    : new ProxyError('fault_injected', 'injected fault', abort.status, { grpcStatus: abort.grpcStatus ?? grpcStatusForHttp(abort.status) })
  return (x, next, done) => {
    const go = () => {
      if (clientGone(x.res)) { done(499, x); return }
      if (abort !== null && aborted !== null && random() * 100 < abort.percent) {
        respondError(x.res, aborted)
        done(abort.status, x)
        return
      }
      next()
    }
    if (!delay || random() * 100 >= delay.percent) { go(); return }
    // The delay is cut short when the client leaves, so a delayed request holds nothing after it.
    const left = () => { clearTimeout(timer); done(499, x) }
    const timer = setTimeout(() => { x.res.off('close', left); go() }, delay.durationMs)
    x.res.once('close', left)
  }
}
