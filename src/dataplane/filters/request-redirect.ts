// RequestRedirect: answers 3xx with a Location built from the request and the filter's fields, as the
// Gateway API specifies: the host is the request's (`Host`, or `:authority` on HTTP/2) without its
// port unless `hostname` is set; the port is `port` when set, else the well-known port of `scheme`
// when that is set, else the listener's port (a Gateway listener's, or the Service's port on a mesh
// route). The port is left out of Location when it is the scheme's default; the query is kept.
import type { PathMatchIR, RequestRedirectIR } from '../../ir/index.js'
import type { Exchange } from '../exchange.js'
import { pathModifier } from './url-rewrite.js'

export function requestRedirect(cfg: RequestRedirectIR, match: PathMatchIR, listenerScheme: 'http' | 'https', listenerPort: number): (x: Exchange) => void {
  const rewritePath = cfg.path ? pathModifier(cfg.path, match) : null
  const scheme = cfg.scheme ?? listenerScheme
  const port = cfg.port ?? (cfg.scheme !== null ? null : listenerPort)
  const portPart = port === null || port === (scheme === 'https' ? 443 : 80) ? '' : `:${port}`
  const status = cfg.statusCode
  return x => {
    const host = cfg.hostname ?? hostWithoutPort(String(x.headers.host ?? x.req.headers.host ?? ''))
    const path = rewritePath ? rewritePath(x.path) : x.path
    const location = `${scheme}://${host}${portPart}${path}${x.query === null ? '' : `?${x.query}`}`
    x.res.writeHead(status, { location, 'content-length': 0 })
    x.res.end()
  }
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` → the host alone (brackets kept for IPv6). */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) { const end = host.indexOf(']'); return end < 0 ? host : host.slice(0, end + 1) }
  const colon = host.lastIndexOf(':')
  return colon < 0 ? host : host.slice(0, colon)
}
