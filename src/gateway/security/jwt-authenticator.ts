// JWT authentication for one SecurityPolicy: finds a token where each provider looks for one, picks
// the provider by the token's issuer, and verifies signature, issuer, audiences and time claims
// (with the provider's clock skew). Only asymmetric algorithms are accepted: HS* (a shared secret the
// gateway would have to hold) and `none` are refused before any key is looked up.
import type { IncomingHttpHeaders } from 'node:http'
import { decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose'
import type { JwtProviderIR } from '../../ir/security.js'
import type { KeySource } from './jwks.js'
import { extractToken } from './token-extract.js'
import { isConsumerName } from './consumer-name.js'

export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]
const MAX_TOKEN_LENGTH = 16 * 1024

export type JwtResult =
  | { readonly ok: true; readonly consumer: string; readonly claims: JWTPayload; readonly provider: JwtProviderIR }
  | { readonly ok: false; readonly detail: string }

interface Provider { readonly ir: JwtProviderIR; readonly keys: KeySource; readonly options: JWTVerifyOptions }

export class JwtAuthenticator {
  private readonly providers: Provider[]

  constructor(providers: readonly { readonly ir: JwtProviderIR; readonly keys: KeySource }[]) {
    this.providers = providers.map(p => ({
      ir: p.ir, keys: p.keys,
      options: {
        algorithms: ASYMMETRIC_ALGORITHMS, issuer: p.ir.issuer, clockTolerance: p.ir.clockSkewMs / 1000,
        requiredClaims: ['sub'], ...(p.ir.audiences ? { audience: [...p.ir.audiences] } : {}),
      },
    }))
  }

  /** The tokens the request carries, each with the provider whose location held it; empty: none. */
  tokensOf(headers: IncomingHttpHeaders): { provider: number; token: string }[] {
    const out: { provider: number; token: string }[] = []
    for (let i = 0; i < this.providers.length; i++) {
      const ir = this.providers[i].ir
      const token = extractToken(headers, { headers: ir.fromHeaders, cookies: ir.fromCookies })
      if (token !== null) out.push({ provider: i, token })
    }
    return out
  }

  /** Verifies the found tokens with the providers of their issuers; the first that verifies wins. */
  async verify(found: readonly { provider: number; token: string }[]): Promise<JwtResult> {
    let failure: string | null = null
    for (const { provider, token } of found) {
      const p = this.providers[provider]
      if (token.length > MAX_TOKEN_LENGTH) { failure ??= 'token too long'; continue }
      let iss: unknown
      try { iss = decodeJwt(token).iss } catch { failure ??= 'malformed token'; continue }
      if (iss !== p.ir.issuer) { failure ??= 'token issuer not accepted'; continue }
      try {
        const { payload } = await jwtVerify(token, p.keys.getKey, p.options)
        if (!isConsumerName(payload.sub)) { failure ??= 'token sub is not a usable consumer name'; continue }
        return { ok: true, consumer: payload.sub, claims: payload, provider: p.ir }
      } catch (err) {
        failure = why(err)
      }
    }
    return { ok: false, detail: failure ?? 'no token' }
  }
}

/** A short reason for the 401 body: never the token or a claim's value. */
export function why(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired'
  if (err instanceof errors.JWTClaimValidationFailed) return `token ${err.claim} claim ${err.reason === 'missing' ? 'missing' : 'not accepted'}`
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'token algorithm not allowed'
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key for the token'
  if (err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid'
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token'
  return 'token not accepted'
}
