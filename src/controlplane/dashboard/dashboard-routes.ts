// The web dashboard at the control plane's `/`. `/?token=…` (the link `trellis up` prints) and the
// login form exchange the admin token for a session cookie and redirect to `/`, so the token
// leaves the address bar and history; without a session `/` shows the login form. Neither the
// token nor the cookie is ever logged. Logging in and out takes forms from the dashboard's own pages only.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Credentials } from '../auth.js'
import { HttpError } from '../http-util.js'
import { DASHBOARD_JS } from './dashboard-script.js'
import { DASHBOARD_CSS } from './dashboard-style.js'
import { dashboardPage, loginPage } from './pages.js'
import { CLEARED_COOKIE, fromOwnPage, hasSession, sessionCookie } from './session.js'

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}
const MAX_FORM = 4096

/** Serves the dashboard's paths; false for any other path. */
export async function handleDashboard(creds: Credentials, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const method = req.method ?? 'GET'
  const path = url.pathname
  if (path === '/dashboard.js' && method === 'GET') return send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS)
  if (path === '/dashboard.css' && method === 'GET') return send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS)
  if (path === '/' && method === 'GET') {
    const token = url.searchParams.get('token')
    if (token !== null) return token && creds.isAdmin(`Bearer ${token}`) ? login(res, creds) : send(res, 401, 'text/html; charset=utf-8', loginPage('That link holds no valid admin token.'))
    if (hasSession(req, creds.adminToken)) return send(res, 200, 'text/html; charset=utf-8', dashboardPage())
    return send(res, 200, 'text/html; charset=utf-8', loginPage(null))
  }
  if ((path === '/login' || path === '/logout') && method === 'POST' && !fromOwnPage(req)) {
    return send(res, 403, 'text/plain; charset=utf-8', 'A form of another site or port cannot log in or out here.\n')
  }
  if (path === '/login' && method === 'POST') {
    const token = new URLSearchParams(await readForm(req)).get('token')?.trim() ?? ''
    if (token && creds.isAdmin(`Bearer ${token}`)) return login(res, creds)
    return send(res, 401, 'text/html; charset=utf-8', loginPage('That is not the admin token.'))
  }
  if (path === '/logout' && method === 'POST') {
    res.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': CLEARED_COOKIE, 'content-length': 0 })
    res.end()
    return true
  }
  return false
}

function login(res: ServerResponse, creds: Credentials): true {
  res.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': sessionCookie(creds.adminToken), 'content-length': 0 })
  res.end()
  return true
}

function send(res: ServerResponse, status: number, type: string, body: string): true {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
  return true
}

async function readForm(req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req as AsyncIterable<Buffer>) {
    body += chunk.toString('utf8')
    if (body.length > MAX_FORM) throw new HttpError(413, 'form too large')
  }
  return body
}
