// The audit log of a SecurityPolicy: one JSON line per request that reached the policy, allowed or
// refused. Lines are gathered and handed to the file in one batch per event-loop turn, so a request
// never waits on the disk; past MAX_PENDING_BYTES waiting to be written (a stalled disk) lines are
// dropped and counted rather than held in memory. The file rotates by size (lib/rotating-file.ts).
// Entries carry no credential: no token, key, Authorization or Cookie value, and the path without
// its query string. A client may send its own x-request-id, so only its first MAX_REQUEST_ID
// characters are kept: no client can make its lines (and so the rotation of everyone's) much longer.
import { DEFAULT_AUDIT_ROTATION } from '../../ir/security.js'
import { RotatingFile, type RotationLimits } from '../../lib/rotating-file.js'

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

export type AuditRotation = RotationLimits

const MAX_PENDING_BYTES = 8 << 20
const MAX_REQUEST_ID = 128

export class AuditLog {
  private readonly file: RotatingFile
  private batch: string[] = []
  private scheduled = false
  private closed = false
  private failed = false
  dropped = 0

  /** Opens (creates, 0600) the file for appending; throws when it cannot, so the snapshot is refused. */
  constructor(readonly path: string, private readonly log: (line: string) => void, rotation: AuditRotation = DEFAULT_AUDIT_ROTATION) {
    this.file = new RotatingFile(path, rotation, message => this.log(`audit log ${path}: ${message}`))
  }

  /** Rotation limits from a new snapshot; they apply from the next batch on. */
  set rotation(r: AuditRotation) { this.file.limits = r }
  get rotation(): AuditRotation { return this.file.limits }

  write(entry: AuditEntry): void {
    if (this.closed || this.failed) { this.dropped++; return }
    if (this.file.pendingBytes > MAX_PENDING_BYTES) { this.dropped++; return }
    const id = entry.requestId
    this.batch.push(JSON.stringify({
      time: new Date().toISOString(), ...entry, requestId: id !== null && id.length > MAX_REQUEST_ID ? id.slice(0, MAX_REQUEST_ID) : id,
    }))
    if (!this.scheduled) { this.scheduled = true; setImmediate(this.flush) }
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.batch.length === 0 || this.closed) return
    const lines = this.batch
    this.batch = []
    this.file.append(lines).catch((err: Error) => {
      if (!this.failed) this.log(`audit log ${this.path}: ${err.message}; lines are dropped`)
      this.failed = true
    })
  }

  /** Writes what is gathered, then closes the file. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.flush()
    this.closed = true
    return this.file.close().catch(() => {})
  }
}
