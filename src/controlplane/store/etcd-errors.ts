// etcd3/grpc errors turned into a cause an operator can act on. grpc reports a failed TLS
// handshake as "UNAVAILABLE … Last error: <openssl text>": name which side refused, and why.
import { ETCD_PASSWORD_ENV } from './etcd-access.js'
import type { EtcdTarget } from './etcd-url.js'

export function explainEtcdError(err: Error, target: EtcdTarget): string {
  const text = err.message
  const detail = lastError(text)
  if (/authentication failed|invalid user ID or password/i.test(text)) return `etcd refused user "${target.user}" with the password in ${ETCD_PASSWORD_ENV} (${detail})`
  if (/user name is empty|permission denied|user name not found/i.test(text)) return `etcd requires authentication: name a user in the store URL (etcd[s]://USER@HOST:PORT) and set ${ETCD_PASSWORD_ENV} (${detail})`
  if (/authentication is not enabled/i.test(text)) return `the store URL names user "${target.user}" but etcd has authentication disabled (${detail})`
  if (/alert bad certificate|alert certificate required|alert unknown ca|alert certificate unknown|alert handshake failure/i.test(text)) {
    return `etcd refused this replica's client certificate — none was given (--etcd-cert, --etcd-key) or etcd does not trust its issuer (${detail})`
  }
  if (/unable to verify|self[- ]signed|certificate has expired|not yet valid|does not match|unable to get (local )?issuer/i.test(text)) {
    return `the certificate etcd presented is not trusted — check --etcd-ca (the CA that signed etcd's server certificate; without it, the system CAs) (${detail})`
  }
  if (/wrong version number|packet length too long|http request/i.test(text)) return `TLS handshake failed — does etcd speak plain HTTP (use etcd://) or TLS (use etcds://)? (${detail})`
  return `cannot reach etcd: ${detail}`
}

/** The root cause grpc wraps, without openssl's source locations and resolution notes. */
function lastError(message: string): string {
  const m = /Last error: (?:Error: )?(.*?)(?:\s*\(\d{4}-[^)]*\))?\.?\s*(?:Resolution note:.*)?$/s.exec(message)
  const text = (m ? m[1] : message).replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:/, '').replace(/:\.\.\/deps\/\S+/, '').trim()
  return text || message.trim()
}
