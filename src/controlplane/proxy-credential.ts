// A proxy's own credential, handed to it when it registers: an HMAC-signed claim that names that one
// proxy (one replica of a Workload, or a Gateway) and when the claim ends. A join token decides who
// may join; the credential lets a proxy that joined carry on as itself (stream, reports, certificates,
// registering again after a control-plane restart) after its join token has expired, and as no one
// else. It is signed with a key derived from the join key, so replicas sharing a store accept each
// other's credentials and a restarted control plane accepts the ones it handed out before.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { ProxyRegistration } from './registry.js'

/** Marks a proxy credential ("trellis proxy credential", format 1); join tokens never start so. */
const PREFIX = 'tpc1.'
/** HKDF label of the signing key: it never signs join tokens, nor seals the CA. */
export const PROXY_CREDENTIAL_KEY_INFO = 'trellis proxy credential v1'

/** The proxy a credential names: the fields that make a proxy's name (see registry.ts). */
export interface ProxyName {
  readonly kind: 'sidecar' | 'gateway'
  readonly workload: string | null    // sidecars only
  readonly replica: number | null     // sidecars only
  readonly gateway: string | null     // gateways only
}

export interface ProxyCredentialClaims extends ProxyName { readonly exp: number }

/** The name of a registering (or registered) proxy, without the fields its kind does not use. */
export function proxyNameOf(reg: Pick<ProxyRegistration, 'kind' | 'workload' | 'replica' | 'gateway'>): ProxyName {
  return reg.kind === 'sidecar'
    ? { kind: 'sidecar', workload: reg.workload, replica: reg.replica, gateway: null }
    : { kind: 'gateway', workload: null, replica: null, gateway: reg.gateway }
}

export function sameProxy(a: ProxyName, b: ProxyName): boolean {
  return a.kind === b.kind && a.workload === b.workload && a.replica === b.replica && a.gateway === b.gateway
}

/** How messages name a proxy: `sidecar default/orders/0`, `gateway default/edge`. */
export function describeProxy(p: ProxyName): string {
  return p.kind === 'sidecar' ? `sidecar ${p.workload}/${p.replica}` : `gateway ${p.gateway}`
}

export function isProxyCredential(token: string): boolean {
  return token.startsWith(PREFIX)
}

export function signProxyCredential(key: Buffer, proxy: ProxyName, exp: number): string {
  const { kind, workload, replica, gateway } = proxyNameOf(proxy)
  const body = Buffer.from(JSON.stringify({ kind, workload, replica, gateway, exp })).toString('base64url')
  return `${PREFIX}${body}.${mac(key, body)}`
}

/** The claims of a credential signed with `key`, expired or not (the caller says which); null when
 *  it is not one, was signed with another key, or was altered. */
export function readProxyCredential(key: Buffer, token: string): ProxyCredentialClaims | null {
  if (!isProxyCredential(token)) return null
  const rest = token.slice(PREFIX.length)
  const dot = rest.indexOf('.')
  if (dot < 0) return null
  const body = rest.slice(0, dot), sig = Buffer.from(rest.slice(dot + 1)), want = Buffer.from(mac(key, body))
  if (sig.length !== want.length || !timingSafeEqual(sig, want)) return null
  let c: Record<string, unknown>
  try { c = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown> } catch { return null }
  if (!c || typeof c !== 'object' || typeof c.exp !== 'number') return null
  if (c.kind === 'sidecar' && typeof c.workload === 'string' && typeof c.replica === 'number') {
    return { kind: 'sidecar', workload: c.workload, replica: c.replica, gateway: null, exp: c.exp }
  }
  if (c.kind === 'gateway' && typeof c.gateway === 'string') return { kind: 'gateway', workload: null, replica: null, gateway: c.gateway, exp: c.exp }
  return null
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(PREFIX).update(body).digest('base64url')
}
