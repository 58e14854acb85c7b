// The etcd client (grpc-js) sets the TLS server name (SNI) to the host it dials, and Node warns once
// per process (DEP0123) when that host is an IP address, which RFC 6066 keeps out of SNI. etcd's
// certificate is still verified against the IP (its IP SANs), so the warning names nothing a user
// can change; a control plane with a TLS etcd store dialled by IP drops that one warning, and only it.
import { isIP } from 'node:net'

let dropping = false

/** True when some `HOST:PORT` of the list names its host by IP address. */
export function dialsByIp(hosts: readonly string[]): boolean {
  return hosts.some(h => isIP(h.slice(0, h.lastIndexOf(':')).replace(/^\[|\]$/g, '')) !== 0)
}

/** From now on this process drops Node's DEP0123 warning; every other warning passes. */
export function dropIpServernameWarning(): void {
  if (dropping) return
  dropping = true
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((...args: unknown[]) => {
    const options = args[1]
    const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : args[2]
    if (code === 'DEP0123') return
    emit(...args)
  }) as typeof process.emitWarning
}
