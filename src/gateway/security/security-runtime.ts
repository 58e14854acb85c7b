// A gateway's SecurityPolicies at run time: a gate per policy, rebuilt with every snapshot, over
// resources that outlive snapshots. Snapshots change whenever endpoints do, so files are read, key
// sets fetched and audit files opened once per path or URL, not per snapshot; a resource no policy
// uses any more is closed once a snapshot without it has been applied. An audit file kept across
// snapshots takes the rotation limits of the latest one, once it is applied.
import type { GatewaySnapshot } from '../../snapshot/types.js'
import type { SecurityIR } from '../../ir/security.js'
import { ApiKeyStore } from './api-keys.js'
import { AuditLog, type AuditRotation } from './audit-log.js'
import { CorsPolicy } from './cors.js'
import type { KeySource } from './jwks.js'
import { SecurityGate } from './security-gate.js'

type JwtSupport = typeof import('./jwt-support.js')

interface Closable { close(): void | Promise<void> }

export interface SecurityGates {
  /** By listener name. */
  readonly listeners: ReadonlyMap<string, SecurityGate>
  /** By route name. */
  readonly routes: ReadonlyMap<string, SecurityGate>
}

export class SecurityRuntime {
  private readonly resources = new Map<string, { value: Closable; generation: number }>()
  private generation = 0
  /** Rotation limits of the snapshot being built, for the audit logs it uses. */
  private rotations = new Map<AuditLog, AuditRotation>()
  private jwtSupport: JwtSupport | null = null

  constructor(private readonly log: (line: string) => void) {}

  /** Gates for a snapshot. Throws when a file cannot be read or opened: the snapshot is then refused. */
  async build(snap: GatewaySnapshot): Promise<SecurityGates> {
    const policies = [...Object.values(snap.security ?? {}), ...Object.values(snap.routeSecurity ?? {})]
    if (this.jwtSupport === null && policies.some(p => p.jwt !== null)) this.jwtSupport = await import('./jwt-support.js')
    this.generation++
    this.rotations = new Map()
    const byPolicy = new Map<string, SecurityGate>()
    const gate = (ir: SecurityIR) => {
      let g = byPolicy.get(ir.policy)
      if (!g) { g = this.gate(ir); byPolicy.set(ir.policy, g) }
      return g
    }
    try {
      return {
        listeners: new Map(Object.entries(snap.security ?? {}).map(([l, ir]) => [l, gate(ir)])),
        routes: new Map(Object.entries(snap.routeSecurity ?? {}).map(([r, ir]) => [r, gate(ir)])),
      }
    } catch (err) {
      throw new Error(`SecurityPolicy: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Closes what the last build did not use; call once its snapshot is applied. (A request still in
   *  flight on a removed policy then loses its audit line: the file is no longer that policy's.) */
  sweep(): void {
    for (const [log, rotation] of this.rotations) log.rotation = rotation
    this.rotations.clear()
    for (const [key, r] of this.resources) {
      if (r.generation === this.generation) continue
      this.resources.delete(key)
      void r.value.close()
    }
  }

  close(): Promise<void> {
    const all = [...this.resources.values()].map(r => r.value.close())
    this.resources.clear()
    return Promise.all(all).then(() => {})
  }

  private gate(ir: SecurityIR): SecurityGate {
    const jwt = ir.jwt === null ? null : new this.jwtSupport!.JwtAuthenticator(ir.jwt.providers.map(p => ({ ir: p, keys: this.keySource(p.jwks) })))
    return new SecurityGate({
      policy: ir.policy,
      cors: ir.cors === null ? null : new CorsPolicy(ir.cors),
      jwt,
      optional: ir.jwt?.optional ?? false,
      apiKey: ir.apiKey === null ? null
        : { header: ir.apiKey.header, store: this.use(`keys:${ir.apiKey.keysFile}`, () => new ApiKeyStore(ir.apiKey!.keysFile, this.log)) },
      claimHeaders: [...new Set((ir.jwt?.providers ?? []).flatMap(p => p.claimToHeaders.map(c => c.header)))],
      audit: ir.audit === null ? null : this.auditLog(ir.audit),
    })
  }

  private auditLog(audit: NonNullable<SecurityIR['audit']>): AuditLog {
    const rotation = { maxSizeBytes: audit.maxSizeBytes, maxFiles: audit.maxFiles }
    const log = this.use(`audit:${audit.file}`, () => new AuditLog(audit.file, this.log, rotation))
    this.rotations.set(log, rotation)
    return log
  }

  private keySource(jwks: { file: string | null; url: string | null }): KeySource {
    const { FileJwks, RemoteJwks } = this.jwtSupport!
    if (jwks.file !== null) return this.use(`jwks-file:${jwks.file}`, () => new FileJwks(jwks.file!, this.log))
    return this.use(`jwks-url:${jwks.url}`, () => new RemoteJwks(jwks.url!, this.log))
  }

  private use<T extends Closable>(key: string, make: () => T): T {
    const had = this.resources.get(key)
    if (had) { had.generation = this.generation; return had.value as T }
    const value = make()
    this.resources.set(key, { value, generation: this.generation })
    return value
  }
}
