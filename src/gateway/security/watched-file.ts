// A file a SecurityPolicy names (JWKS, API keys), parsed once when first used and again whenever it
// changes: one stat every FILE_POLL_MS (no inotify limits, and editors that replace the file are
// seen), compared with the stat taken just before the last read. (fs.watchFile compares with its own
// first poll instead, so a change made between our read and that poll would never be seen.)
// A change that does not parse keeps the last good value, and is not parsed again until it changes.
import { readFileSync, stat, statSync, type Stats } from 'node:fs'

export const FILE_POLL_MS = 500

type Version = Pick<Stats, 'mtimeMs' | 'size' | 'ino'>

export class WatchedFile<T> {
  private current: T
  private version: Version
  private readonly timer: NodeJS.Timeout
  private polling = false
  /** Bumped on every successful reload (tests wait on it). */
  reloads = 0

  /** Throws when the file cannot be read or parsed the first time: the snapshot is then refused. */
  constructor(readonly path: string, private readonly parse: (text: string) => T,
    private readonly log: (line: string) => void, private readonly what: string) {
    this.version = statSync(path)
    this.current = parse(readFileSync(path, 'utf8'))
    this.timer = setInterval(() => this.poll(), FILE_POLL_MS)
    this.timer.unref()
  }

  get value(): T { return this.current }

  private poll(): void {
    if (this.polling) return
    this.polling = true
    stat(this.path, (err, cur) => {
      this.polling = false
      if (err) return                                   // removed or unreadable for now: keep what we have
      const v = this.version
      if (cur.mtimeMs === v.mtimeMs && cur.size === v.size && cur.ino === v.ino) return
      this.version = cur
      try {
        this.current = this.parse(readFileSync(this.path, 'utf8'))
        this.reloads++
        this.log(`${this.what} ${this.path} reloaded`)
      } catch (e) {
        this.log(`${this.what} ${this.path}: keeping the previous content: ${(e as Error).message}`)
      }
    })
  }

  close(): void { clearInterval(this.timer) }
}
