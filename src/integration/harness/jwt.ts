// Test token issuers: a key pair with a kid, its public JWK, and a signer. Tokens are made with jose's
// own SignJWT, as a real identity provider would.
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'

export interface TestIssuer {
  readonly kid: string
  readonly alg: string
  readonly jwk: JWK                 // public, with kid, alg and use
  sign(claims?: JWTPayload, opts?: { expiresIn?: string | number; header?: Record<string, unknown>; issuer?: string; audience?: string | string[] }): Promise<string>
}

export const ISSUER = 'https://auth.test'

export async function testIssuer(kid: string, alg = 'ES256', issuer = ISSUER): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return {
    kid, alg, jwk,
    async sign(claims = {}, opts = {}) {
      let t = new SignJWT({ sub: 'alice', ...claims })
        .setProtectedHeader({ alg, kid, typ: 'JWT', ...opts.header })
        .setIssuedAt()
        .setIssuer(opts.issuer ?? issuer)
        .setExpirationTime(opts.expiresIn ?? '5m')
      if (opts.audience !== undefined) t = t.setAudience(opts.audience)
      return t.sign(privateKey)
    },
  }
}

export function jwksText(...issuers: readonly TestIssuer[]): string {
  return JSON.stringify({ keys: issuers.map(i => i.jwk) })
}
