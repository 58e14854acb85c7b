// The audit log of a SecurityPolicy: one JSON line per request that reached the policy, allowed or
// refused. Lines are gathered and written in one batch per event-loop turn through a file stream, so
// a request never waits on the disk; past MAX_PENDING_BYTES waiting to be written (a stalled disk)
// lines are dropped and counted rather than held in memory. Entries carry no credential: no token,
// key, Authorization or Cookie value, and the path without its query string.
import { createWriteStream, openSync, type WriteStream } from 'node:fs'

export interface AuditEntry {
  readonly consumer: string | null
  readonly client: string
  readonly method: string
  readonly path: string
  readonly route: string | null
  readonly status: number | null      // null: the connection closed before a response started
  readonly reason: string | null      // x-trellis-reason of the mesh's own answer; null when the app answered
  readonly requestId: string | null
}

const MAX_PENDING_BYTES = 8 << 20

export class AuditLog {
  private readonly stream: WriteStream
  private batch: string[] = []
  private scheduled = false
  private closed = false
  private failed = false
  dropped = 0

  /** Opens (creates, 0600) the file for appending; throws when it cannot, so the snapshot is refused. */
  constructor(readonly path: string, private readonly log: (line: string) => void) {
    const fd = openSync(path, 'a', 0o600)
    this.stream = createWriteStream(path, { fd, flags: 'a' })
    this.stream.on('error', err => {
      if (!this.failed) this.log(`audit log ${path}: ${err.message}; lines are dropped`)
      this.failed = true
    })
  }

  write(entry: AuditEntry): void {
    if (this.closed || this.failed) { this.dropped++; return }
    if (this.stream.writableLength > MAX_PENDING_BYTES) { this.dropped++; return }
    this.batch.push(JSON.stringify({ time: new Date().toISOString(), ...entry }))
    if (!this.scheduled) { this.scheduled = true; setImmediate(this.flush) }
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.batch.length === 0 || this.closed) return
    const text = this.batch.join('\n') + '\n'
    this.batch = []
    this.stream.write(text)
  }

  /** Writes what is gathered, then closes the file. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.flush()
    this.closed = true
    return new Promise(resolve => this.stream.end(() => resolve()))
  }
}
