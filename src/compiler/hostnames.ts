// Gateway API hostname rules: which hostnames a route gets on a listener, and host group order.

function isWildcard(h: string): boolean {
  return h.startsWith('*.')
}

/** Does wildcard `*.suffix` cover `host` (one or more extra labels)? */
function covers(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1) // '.example.com'
  return host.length > suffix.length && host.endsWith(suffix)
}

/** The hostname both a route hostname and a listener hostname accept, or null. */
export function intersectHostname(route: string, listener: string): string | null {
  if (route === listener) return route
  const rw = isWildcard(route), lw = isWildcard(listener)
  if (!rw && !lw) return null
  if (rw && !lw) return covers(route, listener) ? listener : null
  if (!rw && lw) return covers(listener, route) ? route : null
  if (covers(listener, route.slice(2))) return route      // *.a.example.com within *.example.com
  if (covers(route, listener.slice(2))) return listener
  return null
}

/**
 * Hostnames under which a route serves on a listener. No hostnames on either side = '*'.
 * An empty result means the route does not attach to this listener.
 */
export function routeHostnames(routeHosts: readonly string[], listenerHost: string | null): string[] {
  if (routeHosts.length === 0) return [listenerHost ?? '*']
  if (listenerHost === null) return [...new Set(routeHosts)]
  const out = new Set<string>()
  for (const h of routeHosts) {
    const x = intersectHostname(h, listenerHost)
    if (x !== null) out.add(x)
  }
  return [...out]
}

/** Does host group `general` also serve requests for `specific` (a hostname or wildcard)? */
export function hostCovers(general: string, specific: string): boolean {
  if (general === '*' || general === specific) return true
  if (!isWildcard(general)) return false
  const host = isWildcard(specific) ? specific.slice(2) : specific
  return covers(general, host)
}

/** Host group order: exact names (alphabetical), then wildcards longest first, then '*'. */
export function compareHostnames(a: string, b: string): number {
  const rank = (h: string) => (h === '*' ? 2 : isWildcard(h) ? 1 : 0)
  const ra = rank(a), rb = rank(b)
  if (ra !== rb) return ra - rb
  if (ra === 1 && a.length !== b.length) return b.length - a.length
  return a < b ? -1 : a > b ? 1 : 0
}
