// A record of every process `trellis up` starts, kept in the state folder. If `up` itself is killed
// outright (SIGKILL, a crash), the apps it started live on — they are in process groups of their own
// so that Ctrl-C reaches only `up`. The next `up` with the same state folder stops those leftovers
// before starting anything. A process is recognised by pid and start time, so a reused pid is never
// signalled.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

interface Entry { readonly pid: number; readonly start: string }

export class ProcessLedger {
  private readonly file: string
  private entries: Entry[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(stateDir: string) { this.file = join(stateDir, 'processes.json') }

  /** Stops (SIGKILL, whole group) every recorded process still alive; returns how many. */
  reapLeftovers(): number {
    let old: Entry[] = []
    try { old = JSON.parse(readFileSync(this.file, 'utf8')) as Entry[] } catch { return 0 }
    let reaped = 0
    for (const e of old) {
      if (typeof e?.pid !== 'number' || startTime(e.pid) !== e.start) continue
      try { process.kill(-e.pid, 'SIGKILL') } catch { try { process.kill(e.pid, 'SIGKILL') } catch { continue } }
      reaped++
    }
    this.entries = []
    this.save()
    return reaped
  }

  record(pid: number): void {
    const start = startTime(pid)
    if (start === null) return
    this.entries = this.entries.filter(e => startTime(e.pid) === e.start) // forget the dead
    this.entries.push({ pid, start })
    this.scheduleSave()
  }

  clear(): void { this.entries = []; this.save() }

  private scheduleSave(): void {
    if (this.timer) return
    this.timer = setTimeout(() => { this.timer = null; this.save() }, 50)
    this.timer.unref()
  }

  private save(): void {
    try { writeFileSync(this.file, JSON.stringify(this.entries), { mode: 0o600 }) } catch { /* state folder gone */ }
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); null when gone or not Linux. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch { return null }
}
