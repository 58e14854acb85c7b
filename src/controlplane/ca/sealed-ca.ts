// The mesh CA as a store shared by replicas (etcd) holds it: JSON with the certificate readable and
// the private key sealed (AES-256-GCM) under a key derived from the join key the replicas already
// share, so reading the store is not enough to mint mesh identities. The certificate is the
// cipher's associated data: swapping in another root without the join key fails like a wrong key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { CaPem } from './certificate-authority.js'

/** HKDF label: keys derived for the CA seal differ from any other use of the join key. */
const INFO = 'trellis mesh CA key v1'
const VERSION = 1
const SALT_BYTES = 16, IV_BYTES = 12, TAG_BYTES = 16

/** The secret every replica holds (the join key, see auth.ts), seen only through keys derived from it. */
export interface SharedSecret { deriveKey(info: string, salt: Buffer): Buffer }

interface SealedCaV1 {
  readonly version: 1
  readonly certificate: string
  /** base64url fields; `ciphertext` is the PKCS#8 PEM. */
  readonly sealedKey: { readonly salt: string; readonly iv: string; readonly tag: string; readonly ciphertext: string }
}

/** Why a stored CA could not be read; load-mesh-ca.ts words it for the operator. */
export class SealedCaError extends Error {
  constructor(readonly reason: 'cannot-open' | 'malformed' | 'unknown-version', detail: string) { super(detail) }
}

export function sealCa(pem: CaPem, secret: SharedSecret): string {
  const salt = randomBytes(SALT_BYTES), iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', secret.deriveKey(INFO, salt), iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(pem.certificate))
  const ciphertext = Buffer.concat([cipher.update(pem.key, 'utf8'), cipher.final()])
  const sealed: SealedCaV1 = {
    version: VERSION, certificate: pem.certificate,
    sealedKey: { salt: b64(salt), iv: b64(iv), tag: b64(cipher.getAuthTag()), ciphertext: b64(ciphertext) },
  }
  return JSON.stringify(sealed)
}

/** The CA in a stored value. A key in the clear is refused, not used: whoever can write to etcd
 *  could otherwise plant a CA of their own without knowing the join key. */
export function openCa(text: string, secret: SharedSecret): CaPem {
  let value: Record<string, unknown>
  try { value = JSON.parse(text) as Record<string, unknown> } catch { value = {} }
  if (value === null || typeof value !== 'object') value = {}
  if (typeof value.certificate !== 'string') throw new SealedCaError('malformed', 'not JSON with a certificate')
  if (value.version === undefined) throw new SealedCaError('malformed', 'no format version and no sealed key')
  if (value.version !== VERSION) throw new SealedCaError('unknown-version', `format version ${JSON.stringify(value.version)}`)
  return { certificate: value.certificate, key: unseal(value as unknown as SealedCaV1, secret) }
}

function unseal(ca: SealedCaV1, secret: SharedSecret): string {
  const s = ca.sealedKey
  if (typeof s !== 'object' || s === null || ![s.salt, s.iv, s.tag, s.ciphertext].every(f => typeof f === 'string')) {
    throw new SealedCaError('malformed', 'sealedKey is not {salt, iv, tag, ciphertext}')
  }
  const [salt, iv, tag, ciphertext] = [s.salt, s.iv, s.tag, s.ciphertext].map(f => Buffer.from(f, 'base64url'))
  // A shortened IV or tag is tampering too; GCM would accept a tag down to 4 bytes unless told.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealedCaError('cannot-open', 'wrong IV or tag length')
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret.deriveKey(INFO, salt), iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(ca.certificate))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
  } catch (err) {
    throw new SealedCaError('cannot-open', (err as Error).message)   // GCM authentication failed
  }
}

function b64(b: Buffer): string { return b.toString('base64url') }
