// The HTTP/1.1 Upgrade (WebSocket) side of a route entry: the same backend split as requests
// (weights, missing Services), then an endpoint from the cluster's balancer, a TCP connection, the
// Upgrade request written on it, and the two sockets joined. The upstream's answer (101 and what
// follows, or a refusal) is relayed byte for byte. Request header filters of the route apply.
import type { OutgoingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { BackendIR, RouteEntryIR } from '../../ir/route.js'
import { SmoothWeightedPicker } from '../../lib/weighted-pick.js'
import type { Exchange } from '../exchange.js'
import { composeEdits, headerModifier, type HeaderEdit } from '../filters/header-modifier.js'
import { pipeSockets } from '../listener/pipe-sockets.js'
import type { Cluster } from '../upstream/cluster.js'
import { connectCluster, DEFAULT_TCP_CONNECT } from '../upstream/tcp-connect.js'

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
    if (!backend || !backend.cluster) { refuse(client, 500, 'no_backend'); return }
    if (routeEdit) routeEdit(x.headers)
    if (backend.edit) backend.edit(x.headers)
    connectCluster(backend.cluster, DEFAULT_TCP_CONNECT, (err, upstream) => {
      if (err || !upstream) { refuse(client, 503, 'unavailable'); return }
      if (client.destroyed) { upstream.destroy(); return }
      upstream.write(requestHead(x.req.method ?? 'GET', x.target, x.headers, x.req.headers.upgrade ?? 'websocket'))
      pipeSockets(client, upstream, idleMs, head)
    })
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

const TEXT: Record<number, string> = { 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable', 400: 'Bad Request' }

/** Answers an Upgrade request the mesh cannot serve, then closes the connection. */
export function refuse(client: Duplex, status: number, reason: string): void {
  if (client.destroyed) return
  const body = `${reason}\n`
  client.end(`HTTP/1.1 ${status} ${TEXT[status] ?? 'Error'}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n` +
    `x-trellis-reason: ${reason}\r\nconnection: close\r\n\r\n${body}`)
  setTimeout(() => client.destroy(), 1000).unref()
}
