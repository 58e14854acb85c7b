// The HTTP/1.1 Upgrade (WebSocket) side of a route entry: the same backend split as requests
// (weights, missing Services), then the Service's circuit breaker, an endpoint from its balancer,
// a TCP connection, the Upgrade request written on it, and the two sockets joined, with outlier
// detection told how the endpoint answered (upstream/forward-upgrade.ts). The upstream's answer
// (101 and what follows, or a refusal) is relayed byte for byte. Request header filters of the route apply.
import type { OutgoingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { BackendIR, RouteEntryIR } from '../../ir/route.js'
import { SmoothWeightedPicker } from '../../lib/weighted-pick.js'
import type { Exchange } from '../exchange.js'
import { composeEdits, headerModifier, type HeaderEdit } from '../filters/header-modifier.js'
import { ProxyError } from '../errors.js'
import { rejectUpgrade } from '../listener/upgrade.js'
import type { Cluster } from '../upstream/cluster.js'
import { forwardUpgrade } from '../upstream/forward-upgrade.js'

export type UpgradeHandler = (x: Exchange, client: Duplex, head: Buffer, idleMs: number) => void

interface UpgradeBackend { readonly cluster: Cluster | null; readonly edit: HeaderEdit | null }

export function buildUpgradeHandler(entry: RouteEntryIR, clusters: ReadonlyMap<string, Cluster>): UpgradeHandler {
  const edits: (HeaderEdit | null)[] = []
  let redirects = false
  for (const f of entry.filters) {
    if (f.type === 'RequestHeaderModifier') edits.push(headerModifier(f.requestHeaderModifier))
    else if (f.type === 'RequestRedirect') redirects = true
  }
  const routeEdit = composeEdits(edits)
  const backends = entry.backends.map((b: BackendIR): UpgradeBackend => ({
    cluster: b.service ? clusters.get(b.service) ?? null : null,
    edit: composeEdits(b.filters.map(f => (f.type === 'RequestHeaderModifier' ? headerModifier(f.requestHeaderModifier) : null))),
  }))
  const picker = new SmoothWeightedPicker(entry.backends.map(b => b.weight))
  return (x, client, head, idleMs) => {
    const i = redirects ? -1 : picker.next()
    const backend = i < 0 ? null : backends[i]
    if (!backend || !backend.cluster) { rejectUpgrade(client, new ProxyError('no_backend', 'the route has no usable backend')); return }
    if (routeEdit) routeEdit(x.headers)
    if (backend.edit) backend.edit(x.headers)
    forwardUpgrade(backend.cluster, client, requestHead(x.req.method ?? 'GET', x.target, x.headers, x.req.headers.upgrade ?? 'websocket'), head, idleMs)
  }
}

/** The Upgrade request as it goes upstream: forwarded headers plus the hop-by-hop pair it needs. */
function requestHead(method: string, target: string, headers: OutgoingHttpHeaders, upgrade: string): string {
  let s = `${method} ${target} HTTP/1.1\r\n`
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const one of v) s += `${name}: ${one}\r\n`
    else s += `${name}: ${v}\r\n`
  }
  return `${s}connection: Upgrade\r\nupgrade: ${upgrade}\r\n\r\n`
}
