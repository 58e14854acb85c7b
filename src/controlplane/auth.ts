// Admin token (for the API and dashboard) and join tokens (for proxies), kept in the state folder.
// Join tokens are HMAC-signed claims, so the control plane checks them without storing each one.
// Replicas sharing a store share the join key too, which also seals the mesh CA key there.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { readSecretFile, writeSecretFile } from '../lib/secret-file.js'

/** Bytes of a join key: `trellis` makes 32; fewer would make join tokens easier to forge. */
const JOIN_KEY_BYTES = 32

export interface JoinClaims { readonly workload: string | null; readonly exp: number }

export class Credentials {
  constructor(readonly adminToken: string, private readonly joinKey: Buffer) {}

  static loadOrCreate(stateDir: string): Credentials {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    const admin = readOrCreate(join(stateDir, 'admin-token'), () => randomBytes(24).toString('base64url'))
    const keyFile = join(stateDir, 'join-key')
    const key = Buffer.from(readOrCreate(keyFile, () => randomBytes(JOIN_KEY_BYTES).toString('base64url')), 'base64url')
    if (key.length < JOIN_KEY_BYTES) {
      throw new Error(`${keyFile} holds ${key.length} bytes of key; a join key is ${JOIN_KEY_BYTES} bytes, base64url. ` +
        'Copy join-key from a running replica\'s state folder, or remove the file to make a new key (join tokens made before stop working)')
    }
    return new Credentials(admin, key)
  }

  isAdmin(authorization: string | undefined): boolean {
    return safeEqual(bearer(authorization), this.adminToken)
  }

  createJoinToken(workload: string | null, ttlMs: number, now: number): string {
    const body = Buffer.from(JSON.stringify({ workload, exp: now + ttlMs })).toString('base64url')
    return `${body}.${this.sign(body)}`
  }

  /** The claims of a valid, unexpired join token; the admin token is accepted as a join token too. */
  verifyJoin(authorization: string | undefined, now: number): JoinClaims | null {
    const token = bearer(authorization)
    if (safeEqual(token, this.adminToken)) return { workload: null, exp: Infinity }
    const dot = token.indexOf('.')
    if (dot < 0) return null
    const body = token.slice(0, dot)
    if (!safeEqual(token.slice(dot + 1), this.sign(body))) return null
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as JoinClaims
      return claims.exp > now ? claims : null
    } catch { return null }
  }

  /** A 32-byte key for one purpose (`info`), derived from the join key with HKDF-SHA256 so that
   *  other uses never reuse the bytes that sign join tokens. */
  deriveKey(info: string, salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.joinKey, salt, info, 32))
  }

  private sign(body: string): string {
    return createHmac('sha256', this.joinKey).update(body).digest('base64url')
  }
}

function bearer(header: string | undefined): string {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : ''
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b)
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y)
}

/** The secret in `path`; made when the file is missing or empty (a first start cut short). */
function readOrCreate(path: string, make: () => string): string {
  const found = readSecretFile(path)?.trim()
  if (found) return found
  const value = make()
  writeSecretFile(path, value + '\n')
  return value
}
