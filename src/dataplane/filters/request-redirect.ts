// RequestRedirect: answers 3xx with a Location built from the request and the filter's fields.
// The port is left out of Location when it is the scheme's default.
import type { PathMatchIR, RequestRedirectIR } from '../../ir/index.js'
import type { Exchange } from '../exchange.js'
import { pathModifier } from './url-rewrite.js'

export function requestRedirect(cfg: RequestRedirectIR, match: PathMatchIR, listenerScheme: 'http' | 'https', listenerPort: number): (x: Exchange) => void {
  const rewritePath = cfg.path ? pathModifier(cfg.path, match) : null
  return x => {
    const scheme = cfg.scheme ?? listenerScheme
    const hostHeader = String(x.req.headers.host ?? '')
    const reqHost = hostHeader.replace(/:\d+$/, '')
    const host = cfg.hostname ?? reqHost
    let port: number | null = cfg.port
    if (port === null) port = cfg.scheme && cfg.scheme !== listenerScheme ? null : listenerPort
    const defaultPort = scheme === 'https' ? 443 : 80
    const portPart = port === null || port === defaultPort ? '' : `:${port}`
    const path = rewritePath ? rewritePath(x.path) : x.path
    const location = `${scheme}://${host}${portPart}${path}${x.query === null ? '' : `?${x.query}`}`
    x.res.writeHead(cfg.statusCode, { location, 'content-length': 0 })
    x.res.end()
  }
}
