// SecurityPolicy → SecurityIR: file paths resolved against the folder of the policy's file, header
// names lower-cased, CORS origins as browsers send them (lower-cased, no default port), defaults
// filled in (clockSkew 60s, CORS methods GET/HEAD/POST, audit files rotated at 100 MiB with 5 kept).
import { resolve } from 'node:path'
import { DEFAULT_AUDIT_ROTATION, type CorsIR, type JwtProviderIR, type SecurityIR } from '../ir/security.js'
import type { SecurityPolicySpec } from '../resources/security-policy.js'

export const DEFAULT_CLOCK_SKEW_MS = 60_000
/** The CORS-safelisted methods: what a browser sends without asking when allowMethods is left out. */
const DEFAULT_CORS_METHODS = ['GET', 'HEAD', 'POST']

type Provider = NonNullable<SecurityPolicySpec['jwt']>['providers'][number]
type Cors = NonNullable<SecurityPolicySpec['cors']>

export function compileSecurityPolicy(name: string, spec: SecurityPolicySpec, dir: string): SecurityIR {
  return {
    policy: name,
    jwt: spec.jwt ? { providers: spec.jwt.providers.map(p => provider(p, dir)), optional: spec.jwt.optional } : null,
    apiKey: spec.apiKey ? { header: spec.apiKey.header.toLowerCase(), keysFile: resolve(dir, spec.apiKey.keysFile) } : null,
    cors: spec.cors ? cors(spec.cors) : null,
    audit: spec.audit ? {
      file: resolve(dir, spec.audit.file),
      maxSizeBytes: spec.audit.maxSizeBytes ?? DEFAULT_AUDIT_ROTATION.maxSizeBytes,
      maxFiles: spec.audit.maxFiles ?? DEFAULT_AUDIT_ROTATION.maxFiles,
    } : null,
  }
}

function provider(p: Provider, dir: string): JwtProviderIR {
  return {
    name: p.name,
    issuer: p.issuer,
    audiences: p.audiences ?? null,
    jwks: { file: p.jwks.file !== undefined ? resolve(dir, p.jwks.file) : null, url: p.jwks.url ?? null },
    fromHeaders: (p.fromHeaders ?? []).map(h => h.toLowerCase()),
    fromCookies: p.fromCookies ?? [],
    clockSkewMs: p.clockSkew ?? DEFAULT_CLOCK_SKEW_MS,
    claimToHeaders: (p.claimToHeaders ?? []).map(c => ({ claim: c.claim, header: c.header.toLowerCase() })),
  }
}

function cors(c: Cors): CorsIR {
  return {
    // As browsers serialize an Origin: scheme and host lower-cased, no default port.
    allowOrigins: c.allowOrigins.map(o => o === '*' ? o : new URL(o).origin),
    allowMethods: c.allowMethods ?? DEFAULT_CORS_METHODS,
    allowHeaders: (c.allowHeaders ?? []).map(h => h.toLowerCase()),
    exposeHeaders: c.exposeHeaders ?? [],
    allowCredentials: c.allowCredentials,
    maxAgeMs: c.maxAge ?? null,
  }
}
