// Fault injection for resilience testing: delay and/or abort a percentage of requests.
// An injected abort carries x-trellis-reason: fault_injected. A client that leaves during an
// injected delay ends the request there: nothing is sent upstream for it.
import type { FaultInjectionIR } from '../../ir/index.js'
import { ProxyError, respondError } from '../errors.js'
import { clientGone, type Exchange } from '../exchange.js'

/** Runs `next` now, later, or never (aborted); returns null when there is nothing to inject. */
export type Fault = (x: Exchange, next: () => void, done: (status: number, x: Exchange) => void) => void

export function faultInjection(cfg: FaultInjectionIR | null, random: () => number = Math.random): Fault | null {
  if (!cfg || (!cfg.delay && !cfg.abort)) return null
  const delay = cfg.delay, abort = cfg.abort
  return (x, next, done) => {
    const go = () => {
      if (clientGone(x.res)) { done(499, x); return }
      if (abort && random() * 100 < abort.percent) {
        const err = new ProxyError('fault_injected', 'injected fault', abort.status)
        respondError(x.res, err)
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
