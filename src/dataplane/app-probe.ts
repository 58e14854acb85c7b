// Watches whether the local app accepts connections, so the instance only gets traffic while it does.
import { connect } from 'node:net'

export class AppProbe {
  ready = false
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(private readonly port: number, private readonly host: string, private readonly onChange: (ready: boolean) => void) {}

  start(): void { this.tick() }
  stop(): void { this.stopped = true; if (this.timer) clearTimeout(this.timer) }

  private tick(): void {
    if (this.stopped) return
    const socket = connect({ port: this.port, host: this.host })
    const settle = (ok: boolean) => {
      socket.destroy()
      if (ok !== this.ready) { this.ready = ok; this.onChange(ok) }
      if (!this.stopped) { this.timer = setTimeout(() => this.tick(), ok ? 1000 : 100); this.timer.unref() }
    }
    socket.setTimeout(1000, () => settle(false))
    socket.once('connect', () => settle(true))
    socket.once('error', () => settle(false))
  }
}
