// One request's state as it moves through a listener's chain. Created once per request with a
// fixed shape; filters mutate `path` and `headers` before the upstream request is made.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { RequestHandler } from './listener/http-listener.js'

export class Exchange {
  /** Response headers added by filters (ResponseHeaderModifier), applied when the response starts. */
  responseHeaders: ResponseHeaderEdit | null = null
  /** Copies of the request body (mirrors); attached when the main request starts reading it. */
  bodyTaps: BodyTap[] | null = null
  /** The matched route's name, once routed (span attributes). */
  route: string | null = null
  /** The route the request goes to, for taps: the one first matched, then the one its verified
   *  claims picked, if they moved it (claim-based routing); null: none. */
  matched: RequestHandler | null = null
  /** The Service of the backend picked for the request, once picked (`trellis tap` at the caller). */
  service: string | null = null
  /** Who authenticated at a Gateway's SecurityPolicy (JWT `sub`, API key name); null: nobody. */
  consumer: string | null = null
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    public path: string,              // normalized path, without the query
    readonly query: string | null,
    public headers: OutgoingHttpHeaders,
    readonly startMs: number,
    /** The client's address as the listener's trustedHops decide (RingHash `sourceIP`). */
    readonly client: string,
  ) {}

  get target(): string { return this.query === null ? this.path : `${this.path}?${this.query}` }
}

export type ResponseHeaderEdit = (headers: OutgoingHttpHeaders) => void

/** Adds `edit` to the response edits already attached (`edit` runs last, so its values win). */
export function addResponseEdit(x: Exchange, edit: ResponseHeaderEdit): void {
  const prev = x.responseHeaders
  x.responseHeaders = prev === null ? edit : h => { prev(h); edit(h) }
}

export interface BodyTap { data(chunk: Buffer): void; end(): void; abort(): void }

/** Attaches the taps in the same tick the main consumer starts reading, so neither misses a chunk. */
export function startBodyTaps(x: Exchange): void {
  const taps = x.bodyTaps
  if (!taps) return
  x.bodyTaps = null
  x.req.on('data', (chunk: Buffer) => { for (const t of taps) t.data(chunk) })
  x.req.once('end', () => { const cut = bodyCut(x.req); for (const t of taps) if (cut) t.abort(); else t.end() })
  x.req.once('error', () => { for (const t of taps) t.abort() })
}

/**
 * Whether the client is gone: its response can no longer be sent. An HTTP/2 response has no
 * `destroyed` of its own; the stream under it says whether the client reset it or left.
 */
export function clientGone(res: ServerResponse): boolean {
  if (res.destroyed === true) return true
  const stream = (res as unknown as { stream?: { destroyed: boolean; closed: boolean } }).stream
  return stream !== undefined && (stream.destroyed || stream.closed)
}

/** HTTP/2 requests whose stream the proxy closed itself before their body was all in. */
const cutByProxy = new WeakSet<IncomingMessage>()

/** Marks a request whose stream the proxy is about to close before the client finished its body
 *  (a request timeout), so that its body, which Node then ends, is not taken for complete. */
export function markBodyCut(req: IncomingMessage): void { cutByProxy.add(req) }

/**
 * Whether a request body that just ended was cut off rather than finished. Node ends the body of an
 * HTTP/2 stream that closed early as if it were complete: one the client reset (RST_STREAM, or its
 * connection lost), which `aborted` tells, and one the proxy closed after answering, which it
 * marked (markBodyCut). An HTTP/1.1 body cut off never ends.
 */
export function bodyCut(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2 && ((req as { aborted?: boolean }).aborted === true || cutByProxy.has(req))
}

/** Whether a request carries a body: framing headers on HTTP/1.1; on HTTP/2, an open stream. */
export function requestHasBody(req: IncomingMessage): boolean {
  const h = req.headers
  if (h['content-length'] === '0') return false
  if (req.httpVersionMajor === 2) return !(req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders
  return h['transfer-encoding'] !== undefined || h['content-length'] !== undefined
}
