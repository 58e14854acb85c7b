// The etcd store URL: `etcd://` (plain) or `etcds://` (TLS), an optional `USER@`, then hosts.
// The password never appears here: it comes from TRELLIS_ETCD_PASSWORD, so the URL is safe to log.

export interface EtcdTarget {
  readonly tls: boolean
  readonly user?: string
  readonly hosts: readonly string[]
  /** The URL as given back in logs and errors (no password, by construction). */
  readonly url: string
}

export const ETCD_URL_HINT = 'etcd://[USER@]HOST:PORT[,HOST:PORT…] or etcds://… for TLS'

export function isEtcdUrl(url: string): boolean {
  return url.startsWith('etcd://') || url.startsWith('etcds://')
}

export function parseEtcdUrl(url: string): EtcdTarget {
  const m = /^(etcds?):\/\/(?:([^@:/\s]+)@)?(.*)$/.exec(url)
  // Never echo a URL that carries a password ("user:secret@"): name only its shape.
  if (/^[a-z]+:\/\/[^@]*:[^@]*@/.test(url)) throw new Error(`the etcd store URL must not carry a password; set TRELLIS_ETCD_PASSWORD and use ${ETCD_URL_HINT}`)
  const hosts = m ? m[3].split(',').map(h => h.trim()).filter(Boolean) : []
  if (!m || hosts.length === 0 || hosts.some(h => !/^[^\s/@]+:\d+$/.test(h))) throw new Error(`bad etcd store "${url}"; use ${ETCD_URL_HINT}`)
  const tls = m[1] === 'etcds'
  const user = m[2] ? decodeURIComponent(m[2]) : undefined
  return { tls, user, hosts, url: `${m[1]}://${m[2] ? m[2] + '@' : ''}${hosts.join(',')}` }
}
