// Routes that match on a header a Gateway's SecurityPolicy fills from a verified JWT claim
// (claimToHeaders). The route is first picked without any client-sent copy of such a header (a
// client could otherwise choose a route its token does not), then picked again once the policy has
// set the header from the token, as Envoy Gateway recomputes the route after JWT authentication;
// the new route is taken only when the same policy judges it. Only listeners whose routes match on
// such a header pay for this, and header objects are copied only for them. Client copies of every
// header a policy on the listener fills from claims are removed from what is forwarded, on every
// route (claimFilledHeaders).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { RouteTableIR } from '../../ir/index.js'
import type { RequestGate } from './http-listener.js'

/** The names routes of `table` match on that its gates (the listener's, or a route's own) fill from
 *  claims; null when there are none. */
export function claimRoutedHeaders(
  table: RouteTableIR, listenerGate: RequestGate | null, routeGates: ReadonlyMap<string, RequestGate> | undefined,
): readonly string[] | null {
  const filled = new Set(listenerGate?.claimHeaders ?? [])
  const matched = new Set<string>()
  for (const host of table.hosts) {
    for (const e of host.entries) {
      for (const h of e.headers) matched.add(h.name)
      for (const name of routeGates?.get(e.route)?.claimHeaders ?? []) filled.add(name)
    }
  }
  const both = [...filled].filter(name => matched.has(name)).sort()
  return both.length === 0 ? null : both
}

/** Every header a SecurityPolicy on these routes fills from claims: the listener's policies, and the
 *  routes' own. Client copies are removed from every request on the listener, whichever policy ends
 *  up judging it (or none): a route whose own policy replaces the listener's, or that has none, must
 *  not pass on a forged copy to an app that trusts the header because the mesh fills it on other
 *  routes. Null when there are none. */
export function claimFilledHeaders(
  tables: readonly RouteTableIR[], listenerGates: readonly (RequestGate | null)[], routeGates: ReadonlyMap<string, RequestGate> | undefined,
): readonly string[] | null {
  const filled = new Set<string>()
  for (const gate of listenerGates) for (const name of gate?.claimHeaders ?? []) filled.add(name)
  for (const table of tables) {
    for (const host of table.hosts) {
      for (const e of host.entries) for (const name of routeGates?.get(e.route)?.claimHeaders ?? []) filled.add(name)
    }
  }
  return filled.size === 0 ? null : [...filled].sort()
}

/** Removes client copies of `names` from the headers a request is forwarded with. */
export function dropClientCopies(forwarded: OutgoingHttpHeaders, names: readonly string[]): void {
  for (let i = 0; i < names.length; i++) if (forwarded[names[i]] !== undefined) delete forwarded[names[i]]
}

/** `headers` without `names`: the same object when it carries none of them, else a copy. */
export function headersWithout(headers: IncomingHttpHeaders, names: readonly string[]): IncomingHttpHeaders {
  let i = 0
  while (i < names.length && headers[names[i]] === undefined) i++
  if (i === names.length) return headers
  const out = { ...headers }
  for (const name of names) delete out[name]
  return out
}

/** A copy of `headers` with `names` as the policy left them in the forwarded headers: set from
 *  claims, or removed. */
export function headersWithClaims(headers: IncomingHttpHeaders, forwarded: OutgoingHttpHeaders, names: readonly string[]): IncomingHttpHeaders {
  const out = { ...headers }
  for (const name of names) {
    const v = forwarded[name]
    if (typeof v === 'string') out[name] = v
    else delete out[name]
  }
  return out
}
