// The dashboard's login: the admin token, given once (the login link or the form), is exchanged
// for an HttpOnly SameSite=Strict cookie. The cookie holds a value derived from the token, not the
// token itself, and is accepted for reads only (GET) from the dashboard's own page, so a page elsewhere
// (another port of this host included) can change nothing and start nothing.
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

/** Whether a request to the admin API is the admin's: the bearer token, or (reads only, from the
 *  dashboard's own page) the cookie. */
export function isAdminRequest(creds: Credentials, req: IncomingMessage): boolean {
  if (creds.isAdmin(req.headers.authorization)) return true
  return (req.method === 'GET' || req.method === 'HEAD') && fromOwnPage(req) && hasSession(req, creds.adminToken)
}

/** Whether a browser's request comes from a page of this control plane. SameSite=Strict does not
 *  tell: every port of this host is the same site, so an app on another port of 127.0.0.1 could post
 *  forms here and send reads with the cookie. Browsers say where a request comes from in
 *  Sec-Fetch-Site (older ones in Origin; our pages send "null", as their Referrer-Policy asks);
 *  clients that say nothing (curl) are not a page's. */
export function fromOwnPage(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'], origin = req.headers.origin
  if (site !== undefined) return site === 'same-origin'
  return origin === undefined || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`
}

