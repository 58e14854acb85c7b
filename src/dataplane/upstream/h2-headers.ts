// Header translation between HTTP/1.1 and HTTP/2 exchanges: pseudo-headers in and out.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

/** Request headers for an HTTP/2 upstream: `host` becomes `:authority`. */
export function h2RequestHeaders(method: string, path: string, headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': 'http' }
  for (const name in headers) {
    if (name === 'host') { out[':authority'] = headers[name]; continue }
    if (name.charCodeAt(0) === 58 /* : */) continue
    out[name] = headers[name]
  }
  return out
}

/** Response headers (or trailers) from an HTTP/2 upstream, without pseudo-headers. */
export function withoutPseudo(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {}
  for (const name in headers) if (name.charCodeAt(0) !== 58) out[name] = headers[name]
  return out
}
