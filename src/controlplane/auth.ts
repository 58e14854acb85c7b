// Admin token (for the API and dashboard) and join tokens (for proxies), kept in the state folder.
// Join tokens are HMAC-signed claims, so the control plane checks them without storing each one.
// Replicas sharing a store share the join key too, which also seals the mesh CA key there.
// A proxy that joined gets a credential of its own (proxy-credential.ts) and uses it from then on.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { readSecretFile, writeSecretFile } from '../lib/secret-file.js'
import { PROXY_CREDENTIAL_KEY_INFO, isProxyCredential, readProxyCredential, signProxyCredential, type ProxyName } from './proxy-credential.js'

/** Bytes of a join key: `trellis` makes 32; fewer would make join tokens easier to forge. */
const JOIN_KEY_BYTES = 32

export interface JoinClaims { readonly workload: string | null; readonly exp: number }

/** Whom a proxy's request speaks for: a join token (any proxy it admits) or one proxy's credential. */
export type ProxyAuth =
  | { readonly via: 'join'; readonly workload: string | null; readonly exp: number }
  | { readonly via: 'credential'; readonly proxy: ProxyName; readonly exp: number }

/** Why a proxy's request was refused, worded for the operator; it never repeats what was sent. */
export interface ProxyAuthRefused { readonly refused: string }

export class Credentials {
  private readonly proxyKey: Buffer

  constructor(readonly adminToken: string, private readonly joinKey: Buffer) {
    this.proxyKey = this.deriveKey(PROXY_CREDENTIAL_KEY_INFO, Buffer.alloc(0))
  }

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

  createProxyCredential(proxy: ProxyName, ttlMs: number, now: number): string {
    return signProxyCredential(this.proxyKey, proxy, now + ttlMs)
  }

  /** A proxy's own credential, else a join token (the admin token is accepted as one too). */
  authenticateProxy(authorization: string | undefined, now: number): ProxyAuth | ProxyAuthRefused {
    const token = bearer(authorization)
    if (!token) return { refused: 'a join token is required (Authorization: Bearer …)' }
    if (safeEqual(token, this.adminToken)) return { via: 'join', workload: null, exp: Infinity }
    if (isProxyCredential(token)) {
      const c = readProxyCredential(this.proxyKey, token)
      if (!c) return { refused: 'the proxy credential is not valid here (altered, or made with another join key); join again with a join token' }
      if (c.exp <= now) return { refused: `the proxy credential expired at ${iso(c.exp)}: the proxy was away longer than a credential lasts; join again with a join token` }
      const { exp, ...proxy } = c
      return { via: 'credential', proxy, exp }
    }
    const claims = this.joinClaims(token)
    if (!claims) return { refused: 'a valid join token is required' }
    if (!(claims.exp > now)) return { refused: `the join token expired at ${iso(claims.exp)}; a new proxy needs a new one (trellis token create)` }
    return { via: 'join', workload: claims.workload, exp: claims.exp }
  }

  /** A 32-byte key for one purpose (`info`), derived from the join key with HKDF-SHA256 so that
   *  other uses never reuse the bytes that sign join tokens. */
  deriveKey(info: string, salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.joinKey, salt, info, 32))
  }

  /** The claims of a join token signed with the join key, expired or not. */
  private joinClaims(token: string): JoinClaims | null {
    const dot = token.indexOf('.')
    if (dot < 0) return null
    const body = token.slice(0, dot)
    if (!safeEqual(token.slice(dot + 1), this.sign(body))) return null
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as JoinClaims
      return typeof claims?.exp === 'number' ? claims : null
    } catch { return null }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.joinKey).update(body).digest('base64url')
  }
}

function bearer(header: string | undefined): string {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : ''
}

function iso(ms: number): string {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString()
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
