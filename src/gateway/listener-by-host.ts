// Listeners of one Gateway sharing a port (same protocol, different hostnames) keep their own
// SecurityPolicy, AuthorizationPolicy and RateLimitPolicy: a request is judged by the listener its
// Host (or :authority) selects — its exact hostname, else the longest matching wildcard, else a
// listener without hostname — as the Gateway API binds a request to its most specific listener and
// Envoy Gateway applies a `sectionName` policy to that listener's traffic only.
import { HostIndex, normalizeHost } from '../dataplane/routing/host-index.js'
import type { ListenerPolicies } from '../dataplane/listener/http-listener.js'

/** `host` → the policies of the listener it selects, or null when no listener claims it. */
export function policiesByHost(
  listeners: readonly { readonly hostname: string | null; readonly policies: ListenerPolicies }[],
): (host: string) => ListenerPolicies | null {
  const index = new HostIndex<ListenerPolicies>()
  for (const l of listeners) index.add(l.hostname ?? '*', l.policies)
  return host => {
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
