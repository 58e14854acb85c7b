// The web dashboard at the control plane's `/`: one static page, its script and its style. The page
// holds no data and no secret, so it is served to anyone; its script reads the admin API with the
// admin token as a bearer header, kept in the tab's sessionStorage. No cookie: browsers send cookies
// to every port of a host, so any app on 127.0.0.1 the admin visited would receive one and could
// replay it, while sessionStorage belongs to this origin (scheme, host and port) alone.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { DASHBOARD_JS } from './dashboard-script.js'
import { DASHBOARD_CSS } from './dashboard-style.js'
import { dashboardPage } from './pages.js'

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

/** Serves the dashboard's paths; false for any other path. */
export function handleDashboard(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const path = url.pathname
  if (path === '/dashboard.js') return send(res, 'text/javascript; charset=utf-8', DASHBOARD_JS)
  if (path === '/dashboard.css') return send(res, 'text/css; charset=utf-8', DASHBOARD_CSS)
  // `/?token=…`, the link `trellis up` prints: the script takes the token and drops it from the address.
  if (path === '/') return send(res, 'text/html; charset=utf-8', dashboardPage())
  return false
}

function send(res: ServerResponse, type: string, body: string): true {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(res.req.method === 'HEAD' ? undefined : body)
  return true
}
