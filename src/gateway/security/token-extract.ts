// Where a JWT is read from a request: `Authorization: Bearer <token>` by default, or the headers and
// cookies a provider names instead (a header's value may carry a `Bearer ` prefix of its own).
import type { IncomingHttpHeaders } from 'node:http'

export interface TokenLocations {
  readonly headers: readonly string[]   // lower-cased names
  readonly cookies: readonly string[]
}

/** The first token found in `at`, or null. Empty lists mean `Authorization: Bearer`. */
export function extractToken(headers: IncomingHttpHeaders, at: TokenLocations): string | null {
  if (at.headers.length === 0 && at.cookies.length === 0) return bearerToken(headers.authorization)
  for (const name of at.headers) {
    const v = headers[name]
    const token = typeof v === 'string' ? withoutBearer(v) : null
    if (token) return token
  }
  if (at.cookies.length > 0 && headers.cookie !== undefined) {
    for (const name of at.cookies) {
      const token = cookieValue(headers.cookie, name)
      if (token) return token
    }
  }
  return null
}

/** The token of an `Authorization: Bearer …` value (scheme case-insensitive), or null. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined || authorization.length < 8) return null
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return null
  const token = authorization.slice(7).trim()
  return token === '' ? null : token
}

function withoutBearer(value: string): string | null {
  return bearerToken(value) ?? (value.trim() || null)
}

/** One cookie's value from a Cookie header (`a=1; b=2`); the first of that name wins. */
export function cookieValue(cookie: string, name: string): string | null {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue
    let v = part.slice(eq + 1).trim()
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
    return v === '' ? null : v
  }
  return null
}
