// Watches whether the local app is ready, so the instance only gets traffic while it is: a TCP
// connect to its port, or — when a Service it serves has a healthCheck — that HTTP check with its
// thresholds. A failing check takes the instance out of rotation; it never restarts the app.
import type { HealthCheckIR } from '../ir/index.js'
import { jitteredPeriodMs } from '../lib/backoff.js'
import { probe } from './upstream/health-checker.js'

export class AppProbe {
  ready = false
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private check: HealthCheckIR | null = null
  private protocol = 'http'
  private passes = 0
  private fails = 0

  constructor(private readonly port: number, private readonly host: string, private readonly onChange: (ready: boolean) => void) {}

  start(): void { this.tick() }
  stop(): void { this.stopped = true; if (this.timer) clearTimeout(this.timer) }

  /** Switches to the Service's health check (null: plain TCP connect). */
  use(check: HealthCheckIR | null, protocol = 'http'): void {
    if (JSON.stringify(check) === JSON.stringify(this.check) && protocol === this.protocol) return
    this.protocol = protocol
    this.check = check
    this.passes = 0
    this.fails = 0
  }

  private tick(): void {
    if (this.stopped) return
    const check = this.check
    const cfg: HealthCheckIR = check ?? { path: null, intervalMs: 1000, timeoutMs: 1000, unhealthyThreshold: 1, healthyThreshold: 1 }
    void probe({ host: this.host, port: this.port }, cfg, check ? this.protocol : 'tcp').then(ok => {
      if (ok) { this.passes++; this.fails = 0 } else { this.fails++; this.passes = 0 }
      const next = this.ready ? this.fails < cfg.unhealthyThreshold : this.passes >= cfg.healthyThreshold
      if (next !== this.ready) { this.ready = next; this.onChange(next) }
      if (this.stopped) return
      // Jittered like status reports: sidecars started together would otherwise probe in step.
      this.timer = setTimeout(() => this.tick(), this.ready ? jitteredPeriodMs(cfg.intervalMs, 0.1, Math.random()) : Math.min(100, cfg.intervalMs))
      this.timer.unref()
    })
  }

}
