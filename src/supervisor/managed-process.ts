// One supervised child process: output prefixed with its name (as docker compose does), restarted
// with backoff from 100 ms doubling to 10 s when it dies, the backoff reset after 30 s of life.
// Each child leads its own process group so Ctrl-C on the terminal reaches only `trellis up`,
// which then stops children in its own order.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { ProcessLedger } from './process-ledger.js'

export interface ProcessSpec {
  readonly name: string
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
}

const MIN_BACKOFF = 100, MAX_BACKOFF = 10_000, HEALTHY_RESET = 30_000

export class ManagedProcess {
  /** Where `up` records every process it starts (see process-ledger.ts); null outside `up`. */
  static ledger: ProcessLedger | null = null
  child: ChildProcess | null = null
  private stopping = false
  private backoff = MIN_BACKOFF
  private restartTimer: NodeJS.Timeout | null = null
  private startedAt = 0
  restarts = 0
  private exitWaiters: (() => void)[] = []

  constructor(readonly spec: ProcessSpec, private readonly out: (line: string) => void, private readonly onStart?: (child: ChildProcess) => void) {}

  get pid(): number | null { return this.child?.pid ?? null }
  get running(): boolean { return this.child !== null }

  start(): void {
    if (this.stopping) return
    const { spec } = this
    let child: ChildProcess
    try {
      child = spawn(spec.command, spec.args as string[], { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    } catch (err) {
      this.out(`${spec.name} | failed to start: ${(err as Error).message}`)
      this.scheduleRestart()
      return
    }
    this.child = child
    this.startedAt = Date.now()
    const prefix = `${spec.name} | `
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', line => this.out(prefix + line))
    }
    child.once('error', err => {
      this.out(`${prefix}failed to start: ${err.message}`)
      // A spawn that failed (no such command) emits no 'exit': restart it like a crash.
      if (child.pid === undefined && this.child === child) { this.child = null; if (!this.stopping) this.scheduleRestart() }
    })
    child.once('exit', (code, signal) => {
      this.child = null
      const waiters = this.exitWaiters
      this.exitWaiters = []
      for (const w of waiters) w()
      if (this.stopping) return
      this.out(`${prefix}exited (${signal ?? `code ${code}`}); restarting in ${this.nextDelay()} ms`)
      this.scheduleRestart()
    })
    if (child.pid !== undefined) ManagedProcess.ledger?.record(child.pid)
    this.onStart?.(child)
  }

  /** SIGTERM to the child's group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs: number): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    const child = this.child
    if (!child || child.pid === undefined) return Promise.resolve()
    return new Promise(resolve => {
      this.exitWaiters.push(resolve)
      signalGroup(child.pid!, 'SIGTERM')
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs)
      this.exitWaiters.push(() => { clearTimeout(timer); signalGroup(child.pid!, 'SIGKILL') })
    })
  }

  private nextDelay(): number {
    if (Date.now() - this.startedAt > HEALTHY_RESET) this.backoff = MIN_BACKOFF
    return this.backoff
  }

  private scheduleRestart(): void {
    const delay = this.nextDelay()
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF)
    this.restarts++
    this.restartTimer = setTimeout(() => this.start(), delay)
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* already gone */ } }
}
