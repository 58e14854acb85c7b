// SecurityPolicy, compiled: who may come in from outside at a Gateway (or one of its listeners) or
// at an HTTPRoute attached to a Gateway. File paths are absolute (resolved against the folder of
// the document's file); durations are milliseconds; header names are lower-cased.
import type { QualifiedName } from './common.js'

export interface JwtProviderIR {
  readonly name: string
  readonly issuer: string
  readonly audiences: readonly string[] | null   // null: any audience
  /** Exactly one is set. */
  readonly jwks: { readonly file: string | null; readonly url: string | null }
  /** Where the token is read: `Authorization: Bearer` when both lists are empty. */
  readonly fromHeaders: readonly string[]
  readonly fromCookies: readonly string[]
  readonly clockSkewMs: number                   // default 60000
  readonly claimToHeaders: readonly { readonly claim: string; readonly header: string }[]
}

export interface CorsIR {
  readonly allowOrigins: readonly string[]       // exact origins, or `*`
  readonly allowMethods: readonly string[]       // default GET, HEAD, POST; `*` any
  readonly allowHeaders: readonly string[]       // lower-cased; `*` any
  readonly exposeHeaders: readonly string[]
  readonly allowCredentials: boolean
  readonly maxAgeMs: number | null
}

export interface SecurityIR {
  readonly policy: QualifiedName
  readonly jwt: { readonly providers: readonly JwtProviderIR[]; readonly optional: boolean } | null
  readonly apiKey: { readonly header: string; readonly keysFile: string } | null
  readonly cors: CorsIR | null
  readonly audit: AuditIR | null
}

export interface AuditIR {
  readonly file: string
  /** The file is rotated (renamed to `<file>.1`, …) before it would grow past this. */
  readonly maxSizeBytes: number                  // default 100 MiB
  /** Rotated files kept besides the current one. */
  readonly maxFiles: number                      // default 5
}

export const DEFAULT_AUDIT_ROTATION: Pick<AuditIR, 'maxSizeBytes' | 'maxFiles'> = { maxSizeBytes: 100 * 1024 * 1024, maxFiles: 5 }

/** Keys: Gateways (`ns/name`, or `ns/name#listener` for one listener) and HTTPRoutes (`ns/name`). */
export interface SecurityTargetsIR {
  readonly gateways: Readonly<Record<string, SecurityIR>>
  readonly routes: Readonly<Record<QualifiedName, SecurityIR>>
}

export const NO_SECURITY: SecurityTargetsIR = { gateways: {}, routes: {} }
