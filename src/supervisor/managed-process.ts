// One supervised child process: output prefixed with its name (as docker compose does), restarted
// with backoff from 100 ms doubling to 10 s when it dies, the backoff reset after 30 s of health as
// its owner reports it (restart-backoff.ts).
// Each child leads its own process group so Ctrl-C on the terminal reaches only `trellis up`,
// which then stops children in its own order.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { ProcessLedger } from './process-ledger.js'
import { RestartBackoff } from './restart-backoff.js'

export interface ProcessSpec {
  readonly name: string
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
}

export class ManagedProcess {
  /** Where `up` records every process it starts (see process-ledger.ts); null outside `up`. */
  static ledger: ProcessLedger | null = null
  child: ChildProcess | null = null
  private stopping = false
  private restartTimer: NodeJS.Timeout | null = null
  restarts = 0
  private exitWaiters: (() => void)[] = []

  constructor(readonly spec: ProcessSpec, private readonly out: (line: string) => void, private readonly onStart?: (child: ChildProcess) => void,
      private readonly backoff = new RestartBackoff()) {}

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
      this.scheduleRestart(this.backoff.next())
      return
    }
    this.child = child
    this.backoff.started()
    const prefix = `${spec.name} | `
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', line => this.out(prefix + line))
    }
    child.once('error', err => {
      this.out(`${prefix}failed to start: ${err.message}`)
      // A spawn that failed (no such command) emits no 'exit': restart it like a crash.
      if (child.pid === undefined && this.child === child) { this.child = null; if (!this.stopping) this.scheduleRestart(this.backoff.next()) }
    })
    child.once('exit', (code, signal) => {
      this.child = null
      const waiters = this.exitWaiters
      this.exitWaiters = []
      for (const w of waiters) w()
      if (this.stopping) return
      const delay = this.backoff.next()
      this.out(`${prefix}exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`)
      this.scheduleRestart(delay)
    })
    if (child.pid !== undefined) ManagedProcess.ledger?.record(child.pid)
    this.onStart?.(child)
  }

  /** Whether the owner should check health now: only a child restarted after a crash, whose backoff
   *  is not back at its minimum yet, has anything to gain from it. */
  get wantsHealth(): boolean { return this.child !== null && !this.backoff.atMinimum }

  /** What the owner sees of the running child's health (its health check, its readiness); only 30 s
   *  of health without a break resets the restart backoff. Ignored while no child runs. */
  reportHealth(healthy: boolean): void {
    if (this.child !== null) this.backoff.health(healthy)
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

  private scheduleRestart(delay: number): void {
    this.restarts++
    this.restartTimer = setTimeout(() => this.start(), delay)
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* already gone */ } }
}
