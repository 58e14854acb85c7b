// The dashboard's login: the admin token, given once (the login link or the form), is exchanged
// for an HttpOnly SameSite=Strict cookie. The cookie holds a value derived from the token, not the
// token itself, and is accepted for reads only (GET), so a page elsewhere can change nothing.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Credentials } from '../auth.js'

export const SESSION_COOKIE = 'trellis_session'

export function sessionValue(adminToken: string): string {
  return createHmac('sha256', adminToken).update('trellis dashboard session v1').digest('base64url')
}

export function sessionCookie(adminToken: string): string {
  return `${SESSION_COOKIE}=${sessionValue(adminToken)}; HttpOnly; SameSite=Strict; Path=/`
}

export const CLEARED_COOKIE = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`

export function hasSession(req: IncomingMessage, adminToken: string): boolean {
  const header = req.headers.cookie
  if (!header) return false
  const want = Buffer.from(sessionValue(adminToken))
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue
    const got = Buffer.from(part.slice(eq + 1).trim())
    if (got.length === want.length && timingSafeEqual(got, want)) return true
  }
  return false
}

/** Whether a request to the admin API is the admin's: the bearer token, or (reads only) the cookie. */
export function isAdminRequest(creds: Credentials, req: IncomingMessage): boolean {
  if (creds.isAdmin(req.headers.authorization)) return true
  return (req.method === 'GET' || req.method === 'HEAD') && hasSession(req, creds.adminToken)
}
