// An append-only file of lines that rotates by size: when the next line would take the file past
// `maxSizeBytes`, it is renamed to `<path>.1` (`.1` → `.2` … up to `.maxFiles`, older ones removed)
// and a new file is started. Lines are only ever written whole, in order, to one file; a line longer
// than the limit gets a file of its own. Appends are serialized, so nothing is written while files
// are being renamed: lines wait in memory (the caller bounds how many, with `pendingBytes`).
// Moved or removed from outside (logrotate without copytruncate): before a write, at most once per
// REOPEN_CHECK_MS, the path is compared with the open file and reopened when it is another file.
// Several processes may append to one path (one SecurityPolicy on two Gateways): each batch reads the
// file's real size first, and a rotation runs under `<path>.lock`, only while `path` is still the
// file this process writes — else another process rotated it, and this one just opens the new file.
import { close, fstat, fstatSync, open, openSync, rename, stat, unlink, write } from 'node:fs'
import { promisify } from 'node:util'
import { nowMs } from './monotonic-clock.js'

export interface RotationLimits {
  readonly maxSizeBytes: number
  /** Rotated files kept besides the current one. */
  readonly maxFiles: number
}

export const REOPEN_CHECK_MS = 1000
/** After a failed rotation (a rename refused), the file keeps growing; the next try waits this long. */
export const ROTATE_RETRY_MS = 10_000
/** A rotation lock older than this was left by a process that died while rotating. */
const STALE_LOCK_MS = 10_000

const fstatP = promisify(fstat), statP = promisify(stat), openP = promisify(open), closeP = promisify(close)
const renameP = promisify(rename), unlinkP = promisify(unlink), writeP = promisify(write)
const MODE = 0o600

export class RotatingFile {
  limits: RotationLimits
  /** Bytes handed to append() and not yet written. */
  pendingBytes = 0
  rotations = 0
  private fd: number
  /** Which file `fd` is, to tell when `path` names another one. */
  private id: string
  private size: number
  private tail: Promise<void> = Promise.resolve()
  private checkedAt = nowMs()
  private rotateRetryAt = 0
  private lastWarning = ''

  /** Opens (creates, 0600) `path` for appending; throws when it cannot. `warn` hears what went wrong but was survived. */
  constructor(readonly path: string, limits: RotationLimits, private readonly warn: (message: string) => void) {
    this.limits = limits
    this.fd = openSync(path, 'a', MODE)
    const st = fstatSync(this.fd)
    this.id = fileId(st)
    this.size = st.size
  }

  /** Appends each line, plus a newline, after what earlier calls appended. Rejects when a write fails. */
  append(lines: readonly string[]): Promise<void> {
    const bytes = lines.map(l => Buffer.byteLength(l) + 1)
    const total = bytes.reduce((a, b) => a + b, 0)
    this.pendingBytes += total
    const done = this.tail.then(() => this.appendNow(lines, bytes)).finally(() => { this.pendingBytes -= total })
    this.tail = done.catch(() => {})
    return done
  }

  /** Waits for the appends under way, then closes the file. */
  async close(): Promise<void> {
    await this.tail
    await closeP(this.fd)
  }

  private async appendNow(lines: readonly string[], bytes: readonly number[]): Promise<void> {
    if (nowMs() - this.checkedAt >= REOPEN_CHECK_MS) await this.reopenIfMoved()
    else this.size = (await fstatP(this.fd)).size      // other writers' lines count too
    let from = 0, chunk = 0
    for (let i = 0; i < lines.length; i++) {
      if (this.size + chunk > 0 && this.size + chunk + bytes[i] > this.limits.maxSizeBytes && nowMs() >= this.rotateRetryAt) {
        await this.writeLines(lines, from, i, chunk)
        from = i
        chunk = 0
        await this.rotate()
      }
      chunk += bytes[i]
    }
    await this.writeLines(lines, from, lines.length, chunk)
  }

  private async writeLines(lines: readonly string[], from: number, to: number, bytes: number): Promise<void> {
    if (from === to) return
    const buf = Buffer.from(lines.slice(from, to).join('\n') + '\n')
    for (let off = 0; off < buf.length;) off += (await writeP(this.fd, buf, off, buf.length - off)).bytesWritten
    this.size += bytes
  }

  /** Shifts `.1`… up by one, drops what is past maxFiles, and starts a new file at `path`. */
  private async rotate(): Promise<void> {
    const p = this.path, n = this.limits.maxFiles
    let locked: boolean
    try { locked = await lock(`${p}.lock`) } catch (err) {
      this.rotateRetryAt = nowMs() + ROTATE_RETRY_MS
      this.warnOnce(`cannot rotate: ${(err as Error).message}; writing on to the current file`)
      return
    }
    if (!locked) { this.checkedAt = -Infinity; return }   // another process is rotating it: look again before the next write
    try {
      if (await this.rotatedElsewhere()) return
      // Past maxFiles: left by an earlier, larger maxFiles (or by an outside tool); `.n` itself is replaced below.
      for (let i = n + 1; await unlinkIfThere(`${p}.${i}`); i++);
      for (let i = n - 1; i >= 1; i--) await renameIfThere(`${p}.${i}`, `${p}.${i + 1}`)
      await renameP(p, `${p}.1`)
    } catch (err) {
      this.rotateRetryAt = nowMs() + ROTATE_RETRY_MS
      this.warnOnce(`cannot rotate: ${(err as Error).message}; writing on to the current file`)
      return
    } finally {
      await unlinkIfThere(`${p}.lock`).catch(() => {})
    }
    this.rotations++
    // The old file is already `.1`: a failed open would leave the lines there, not lose them.
    await this.reopen()
  }

  /** `path` is no longer the file this process writes (another one rotated it): open the new one. */
  private async rotatedElsewhere(): Promise<boolean> {
    let onDisk: string | null = null
    try { onDisk = fileId(await statP(this.path)) } catch { /* removed: start it again */ }
    if (onDisk === this.id) return false
    await this.reopen()
    return true
  }

  /** `path` removed or replaced from outside: start a file there; still the same file: learn its size (copytruncate). */
  private async reopenIfMoved(): Promise<void> {
    this.checkedAt = nowMs()
    let onDisk: string | null = null
    try { onDisk = fileId(await statP(this.path)) } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return      // unreadable for now: keep the open file
    }
    if (onDisk === this.id) { this.size = (await fstatP(this.fd)).size; return }
    await this.reopen()
  }

  private async reopen(): Promise<void> {
    let fd: number
    try { fd = await openP(this.path, 'a', MODE) } catch (err) {
      this.rotateRetryAt = nowMs() + ROTATE_RETRY_MS
      this.warnOnce(`cannot open a new file: ${(err as Error).message}; writing on to the old one`)
      return
    }
    const old = this.fd
    const st = await fstatP(fd)
    this.fd = fd
    this.id = fileId(st)
    this.size = st.size
    this.lastWarning = ''
    await closeP(old).catch(() => {})
  }

  /** Each trouble once, not once per batch while it lasts. */
  private warnOnce(message: string): void {
    if (message === this.lastWarning) return
    this.lastWarning = message
    this.warn(message)
  }
}

function fileId(st: { dev: number; ino: number }): string { return `${st.dev}:${st.ino}` }

/** True when the file was there (and is now gone). */
async function unlinkIfThere(path: string): Promise<boolean> {
  try { await unlinkP(path); return true } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

async function renameIfThere(from: string, to: string): Promise<void> {
  try { await renameP(from, to) } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** Takes the rotation lock (a file created exclusively); false while another process holds it. */
async function lock(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try { await closeP(await openP(path, 'wx', MODE)); return true } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const st = await statP(path).catch(() => null)
    if (st && Date.now() - st.mtimeMs < STALE_LOCK_MS) return false
    await unlinkIfThere(path)                       // left by a process that died while rotating
  }
  return false
}
