// How long `trellis up` waits before restarting a process that exited: 100 ms, doubling with each
// restart up to 10 s, and back to 100 ms once the process has been healthy for 30 s without a break.
// Health, not life: an app that starts, never passes its health check and crashes every 31 s keeps
// backing off. The owner reports what it sees of the process's health (health-watch.ts); the clock
// is passed in, so the rules can be checked without waiting.
export const MIN_BACKOFF_MS = 100
export const MAX_BACKOFF_MS = 10_000
export const HEALTHY_RESET_MS = 30_000

export class RestartBackoff {
  private delayMs = MIN_BACKOFF_MS
  /** When the running process was first seen healthy with no unhealthy report since; null: not healthy. */
  private healthySince: number | null = null

  constructor(private readonly now: () => number = Date.now) {}

  /** At the shortest wait already: health reports would change nothing, so the owner need not look. */
  get atMinimum(): boolean { return this.delayMs === MIN_BACKOFF_MS }

  /** A new process started: healthy only once it is seen to be. */
  started(): void { this.healthySince = null }

  /** What the owner sees of the running process's health; 30 s of it unbroken resets the backoff. */
  health(healthy: boolean): void {
    if (!healthy) { this.healthySince = null; return }
    const now = this.now()
    if (this.healthySince === null) this.healthySince = now
    else if (now - this.healthySince >= HEALTHY_RESET_MS) this.delayMs = MIN_BACKOFF_MS
  }

  /** The process exited: the wait before its restart. The next one waits twice as long, up to 10 s. */
  next(): number {
    const delay = this.delayMs
    this.delayMs = Math.min(delay * 2, MAX_BACKOFF_MS)
    this.healthySince = null
    return delay
  }
}
