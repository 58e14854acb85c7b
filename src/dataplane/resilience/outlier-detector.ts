// Passive health: an endpoint that answers with errors `consecutiveErrors` times in a row is ejected
// for baseEjectionTime × times ejected, never ejecting more than maxEjectionPercent of endpoints.
// Each `interval` it then spends back in rotation takes one off that count (as Envoy's ejection
// multiplier), so an instance that fails now and then is not ejected for ever longer.
// An error is a 5xx, a connect failure, a reset or a timeout.
import type { OutlierDetectionIR } from '../../ir/index.js'
import type { Endpoint } from '../upstream/endpoint.js'

export class OutlierDetector {
  ejections = 0

  constructor(public cfg: OutlierDetectionIR, private readonly onChange: () => void, private readonly now: () => number = Date.now) {}

  /** Records one attempt's outcome; may eject the endpoint. */
  record(ep: Endpoint, ok: boolean, all: readonly Endpoint[]): void {
    if (ok) { ep.consecutiveErrors = 0; return }
    // While ejected, answers to requests sent before the ejection are not held against it later.
    if (ep.ejectedUntil > 0) return
    ep.consecutiveErrors++
    if (ep.consecutiveErrors < this.cfg.consecutiveErrors) return
    let ejected = 0
    for (const e of all) if (e.ejectedUntil > 0) ejected++
    if (((ejected + 1) * 100) / all.length > this.cfg.maxEjectionPercent) return
    const now = this.now()
    if (ep.backSince > 0 && this.cfg.intervalMs > 0) {
      ep.timesEjected = Math.max(0, ep.timesEjected - Math.floor((now - ep.backSince) / this.cfg.intervalMs))
    }
    ep.timesEjected++
    const duration = this.cfg.baseEjectionTimeMs * ep.timesEjected
    ep.ejectedUntil = now + duration
    ep.consecutiveErrors = 0
    this.ejections++
    const timer = setTimeout(() => { ep.ejectedUntil = 0; ep.consecutiveErrors = 0; ep.backSince = this.now(); this.onChange() }, duration)
    timer.unref()
    ep.ejectionTimer = timer
    this.onChange()
  }
}
