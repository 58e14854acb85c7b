// JSON Web Key Sets for verifying tokens: only public keys of asymmetric types are kept (RSA, EC,
// OKP), so a symmetric or private key in a published set can never verify anything. Keys come only
// from the policy's `jwks` (a file or a URL), never from the token (its jku, x5u and jwk headers are
// not read). jose's local set imports each key once and picks it by the token's `kid` and `alg`.
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose'
import { WatchedFile } from './watched-file.js'

const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP'])
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** Where a provider's verification keys come from. */
export interface KeySource {
  readonly getKey: JWTVerifyGetKey
  close(): void
}

/** `{"keys": [...]}` → the usable public keys. Throws on anything that is not a key set. */
export function parseJwks(text: string): JSONWebKeySet {
  const doc = JSON.parse(text) as { keys?: unknown }
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.keys)) throw new Error('not a JSON Web Key Set: no "keys" list')
  const keys: JWK[] = []
  for (const k of doc.keys as unknown[]) {
    if (typeof k !== 'object' || k === null) continue
    const jwk = k as JWK
    if (typeof jwk.kty !== 'string' || !PUBLIC_KEY_TYPES.has(jwk.kty)) continue
    const pub: Record<string, unknown> = { ...jwk }
    for (const m of PRIVATE_MEMBERS) delete pub[m]
    keys.push(pub as JWK)
  }
  return { keys }
}

/** A JWKS file, reloaded when it changes; tokens are checked against its current keys. */
export class FileJwks implements KeySource {
  private readonly file: WatchedFile<ReturnType<typeof createLocalJWKSet>>

  constructor(path: string, log: (line: string) => void) {
    this.file = new WatchedFile(path, text => createLocalJWKSet(parseJwks(text)), log, 'JWKS')
  }

  readonly getKey: JWTVerifyGetKey = (header, token) => this.file.value(header, token)

  get reloads(): number { return this.file.reloads }

  close(): void { this.file.close() }
}
