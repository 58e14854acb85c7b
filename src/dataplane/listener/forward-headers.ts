// Header hygiene on the way to an upstream: hop-by-hop headers out, forwarding headers in.
// A client's `Connection: x-forwarded-for` must not remove what the mesh adds, so named
// headers are removed first and the mesh's own are set afterwards.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { equalsLower } from '../../lib/ascii-case.js'
import { requestId } from './request-id.js'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
])

export interface ForwardContext {
  readonly proto: 'http' | 'https'
  /** Trust the incoming x-forwarded-* and x-request-id (mesh-internal hop) or reset them (edge). */
  readonly edge: boolean
  /** Strip x-trellis-* and x-forwarded-client-cert that came from outside the mesh. */
  readonly stripMeshHeaders: boolean
  /** At the edge: how many of the client-sent x-forwarded-for entries (from the right) are kept. */
  readonly trustedHops: number
}

export function forwardRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext, clientAddress: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  const connection = incoming.connection
  const named = namedHeaders(connection)
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name)) continue
    if (name.charCodeAt(0) === 58) { if (name === ':authority' && incoming.host === undefined) out.host = incoming[name] as string; continue } // HTTP/2 pseudo-headers
    if (named !== null && named.includes(name)) continue
    if (ctx.stripMeshHeaders && (name.startsWith('x-trellis-') || name === 'x-forwarded-client-cert')) continue
    out[name] = incoming[name]
  }
  if (incoming.te === 'trailers') out.te = 'trailers'
  const sent = incoming['x-forwarded-for'] as string | string[] | undefined
  const xff = Array.isArray(sent) ? sent.join(', ') : sent
  const prior = !ctx.edge ? xff : ctx.trustedHops > 0 && xff ? trustedEntries(xff, ctx.trustedHops) : undefined
  out['x-forwarded-for'] = prior ? `${prior}, ${clientAddress}` : clientAddress
  out['x-forwarded-proto'] = ctx.edge ? ctx.proto : (incoming['x-forwarded-proto'] ?? ctx.proto)
  if (!incoming['x-request-id']) out['x-request-id'] = requestId()
  else out['x-request-id'] = incoming['x-request-id']
  return out
}

/** Says which response the mesh made itself; only a mesh proxy may send it (see `fromApp` below). */
const REASON = 'x-trellis-reason'

/**
 * Response headers back to the client, hop-by-hop removed. `fromApp`: the response comes from an
 * app, not a mesh proxy, so an x-trellis-reason it sets is dropped: callers would take the app's
 * answer for the mesh's (and retry a 503 `unavailable` that the app did see).
 */
export function forwardResponseHeaders(incoming: IncomingHttpHeaders, fromApp: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  const connection = incoming.connection
  const named = namedHeaders(connection)
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name)) continue
    if (named !== null && named.includes(name)) continue
    if (fromApp && name === REASON) continue
    out[name] = incoming[name]
  }
  return out
}

type ByLength = readonly (readonly string[] | undefined)[]

/** Names by length: a received name is compared (case-insensitively) only with those of its length. */
function byLength(names: Iterable<string>): ByLength {
  const out: string[][] = []
  for (const n of names) (out[n.length] ??= []).push(n)
  return out
}
const HOP_BY_LENGTH = byLength(HOP_BY_HOP)
const HOP_AND_REASON_BY_LENGTH = byLength([...HOP_BY_HOP, REASON])

/** Which of `dropped` the name `name` is, lowercase, or null. */
function droppedName(name: string, dropped: ByLength): string | null {
  const same = dropped[name.length]
  if (same === undefined) return null
  for (let i = 0; i < same.length; i++) if (equalsLower(name, same[i])) return same[i]
  return null
}

/**
 * Raw upstream response headers ([name, value, ...] as received) → the flat list for
 * `res.writeHead(status, list)`, filtered in place (the parser made `raw` for this response alone):
 * hop-by-hop out (and x-trellis-reason when `fromApp`, as forwardResponseHeaders does, in the same
 * walk), duplicates kept as sent. Headers named in Connection are removed afterwards (a Connection
 * naming anything but keep-alive/close is rare on responses).
 */
export function forwardRawResponseHeaders(raw: string[], fromApp: boolean): string[] {
  const dropped = fromApp ? HOP_AND_REASON_BY_LENGTH : HOP_BY_LENGTH
  let named: string[] | null = null
  let n = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    const hop = droppedName(name, dropped)
    if (hop !== null) {
      if (hop === 'connection') {
        const more = namedHeaders(raw[i + 1])
        if (more !== null) named = named === null ? more : named.concat(more)
      }
      continue
    }
    if (n !== i) { raw[n] = name; raw[n + 1] = raw[i + 1] }
    n += 2
  }
  raw.length = n
  if (named === null) return raw
  let k = 0
  for (let i = 0; i < n; i += 2) {
    if (named.includes(raw[i].toLowerCase())) continue
    raw[k] = raw[i]; raw[k + 1] = raw[i + 1]
    k += 2
  }
  raw.length = k
  return raw
}

/** The same as an object with lowercase names (for ResponseHeaderModifier and HTTP/2 clients). */
export function responseHeaderObject(list: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i].toLowerCase()
    const prev = out[name]
    if (prev === undefined) out[name] = list[i + 1]
    else if (name === 'set-cookie') out[name] = Array.isArray(prev) ? [...prev, list[i + 1]] : [String(prev), list[i + 1]]
    else out[name] = `${String(prev)}, ${list[i + 1]}`
  }
  return out
}

/**
 * Trailer fields ([name, value, ...]) as an object for `res.addTrailers`, without hop-by-hop and
 * framing fields: they never belong in trailers, and HTTP/2 refuses them by throwing.
 */
export function trailerObject(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (HOP_BY_HOP.has(name) || name === 'content-length') continue
    out[name] = raw[i + 1]
  }
  return out
}

/** The same for trailers an HTTP/2 upstream sent (an object): pseudo-headers dropped as well. */
export function h2TrailerObject(trailers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in trailers) {
    if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name) || name === 'content-length') continue
    out[name] = trailers[name]
  }
  return out
}

/** The last `hops` entries of an x-forwarded-for value, or undefined when none is left. */
export function trustedEntries(xff: string, hops: number): string | undefined {
  const kept = xff.split(',').slice(-hops).map(e => e.trim()).filter(e => e !== '')
  return kept.length === 0 ? undefined : kept.join(', ')
}

/**
 * The client's address as `trustedHops` decides: the leftmost trusted x-forwarded-for entry, or the
 * socket peer when none is trusted (or the header has fewer entries than trusted hops claim).
 */
export function trustedClientAddress(xff: string | undefined, peer: string, hops: number): string {
  if (hops === 0 || !xff) return peer
  const parts = xff.split(',')
  if (parts.length < hops) return peer
  const v = parts[parts.length - hops].trim()
  return v === '' ? peer : v
}

export function clientAddress(remote: string | undefined): string {
  if (!remote) return 'unknown'
  return remote.startsWith('::ffff:') ? remote.slice(7) : remote
}

/** Headers a `Connection` value names for removal; null for none (the usual keep-alive / close). */
function namedHeaders(connection: string | undefined): string[] | null {
  if (!connection || connection === 'keep-alive' || connection === 'close' || connection === 'Keep-Alive' || connection === 'Close') return null
  return connection.toLowerCase().split(',').map(s => s.trim())
}
