// Tells each process `trellis up` supervises whether it is healthy, once a second, so that its
// restart backoff resets only after 30 s of health (restart-backoff.ts), never after 30 s of mere
// life: the control plane by its /healthz, a proxy by its admin port's /ready, an app by its
// instance's health check as the control plane reports it (`healthy`). A check that cannot tell
// this round (the control plane restarting) reports nothing, and an answer about a child that has
// since been replaced is dropped. Only processes restarted after a crash, whose backoff is not back
// at its minimum, are checked: a mesh where nothing crashed costs no requests at all.
import type { ManagedProcess } from './managed-process.js'

export interface HealthCheck {
  readonly process: ManagedProcess
  /** Whether the process is healthy; null when that cannot be known now. */
  readonly check: () => Promise<boolean | null>
}

const PERIOD_MS = 1000

export class HealthWatch {
  private timer: NodeJS.Timeout | null = null

  /** `checks` is asked each round: the processes supervised change as the config does. */
  constructor(private readonly checks: () => Iterable<HealthCheck>, private readonly signal: AbortSignal) {}

  start(): void {
    const tick = () => {
      this.timer = null
      if (this.signal.aborted) return
      void this.round().finally(() => {
        if (!this.signal.aborted) this.timer = setTimeout(tick, PERIOD_MS)
      })
    }
    this.timer = setTimeout(tick, PERIOD_MS)
    this.signal.addEventListener('abort', () => { if (this.timer !== null) clearTimeout(this.timer) }, { once: true })
  }

  /** One round: every check that matters at once, each reported to its process if the same child still runs. */
  async round(): Promise<void> {
    await Promise.all([...this.checks()].map(async ({ process: proc, check }) => {
      const pid = proc.pid
      if (pid === null || !proc.wantsHealth) return
      const healthy = await check().catch(() => null)
      if (healthy !== null && proc.pid === pid) proc.reportHealth(healthy)
    }))
  }
}
