// Listeners of one Gateway sharing a port (same protocol, different hostnames) keep their own
// policies: a request is judged by the listener its Host (or :authority), a TLS connection by the
// listener its SNI name selects — that exact hostname, else the longest matching wildcard, else a
// listener without hostname — as the Gateway API binds traffic to its most specific listener and
// Envoy Gateway applies a `sectionName` policy to that listener's traffic only.
import { HostIndex, normalizeHost } from '../dataplane/routing/host-index.js'

/** `host` → the value of the listener it selects, or null when no listener claims it (or no name was sent). */
export function listenerByHost<T>(
  listeners: readonly { readonly hostname: string | null; readonly value: T }[],
): (host: string | null) => T | null {
  const index = new HostIndex<T>()
  for (const l of listeners) index.add(l.hostname ?? '*', l.value)
  return host => {
    if (host === null) return index.any
    const h = normalizeHost(host)
    const exact = index.exactGroup(h)
    if (exact !== null) return exact
    for (let i = 0; i < index.wildcardCount; i++) {
      const g = index.wildcardGroup(i, h)
      if (g !== null) return g
    }
    return index.any
  }
}
