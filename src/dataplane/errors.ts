// Typed failures of the data plane and the one place that turns them into responses.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { grpcStatusFor, isGrpc } from './grpc/grpc-status.js'

export type Reason =
  | 'no_route' | 'no_backend' | 'denied' | 'unauthenticated' | 'rate_limited' | 'overloaded'
  | 'unavailable' | 'timeout' | 'too_large' | 'bad_request' | 'fault_injected' | 'upstream_reset'

const STATUS: Record<Reason, number> = {
  no_route: 404, no_backend: 500, denied: 403, unauthenticated: 401, rate_limited: 429, overloaded: 503,
  unavailable: 503, timeout: 504, too_large: 413, bad_request: 400, fault_injected: 503, upstream_reset: 502,
}

export class ProxyError extends Error {
  /** The gRPC status a gRPC request gets; null: the one its reason maps to. */
  readonly grpcStatus: number | null
  constructor(readonly reason: Reason, message: string, readonly status = STATUS[reason], options?: { cause?: unknown; grpcStatus?: number }) {
    super(message, options)
    this.grpcStatus = options?.grpcStatus ?? null
  }
}

const MESH_REASON = Symbol('trellis.meshReason')

/** The reason of the answer the mesh made on this response, or null (the app answered) — for audit logs. */
export function meshReasonOf(res: ServerResponse): Reason | null {
  return (res as { [MESH_REASON]?: Reason })[MESH_REASON] ?? null
}

/** Writes the mesh's own response for a failure; if the response already started, cuts it off.
 *  A gRPC request gets a trailers-only gRPC status instead of an HTTP error body. */
export function respondError(res: ServerResponse, err: ProxyError): void {
  if (res.headersSent) { cutOff(res, err); return }
  (res as { [MESH_REASON]?: Reason })[MESH_REASON] = err.reason
  if (isGrpc(res.req?.headers['content-type'])) {
    endWithHeaders(res, 200, {
      'content-type': 'application/grpc', 'grpc-status': String(err.grpcStatus ?? grpcStatusFor(err.reason)),
      'grpc-message': encodeURIComponent(`${err.reason}: ${err.message}`), 'x-trellis-reason': err.reason,
    })
    return
  }
  const body = `${err.reason}: ${err.message}\n`
  res.writeHead(err.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-trellis-reason': err.reason,
  })
  res.end(body)
}

/**
 * Cuts off a response already under way, so that the client sees it fail rather than end: HTTP/1.1
 * loses its connection, an HTTP/2 stream is reset with INTERNAL_ERROR. Destroying an HTTP/2 response
 * without an error would reset it with NO_ERROR, which clients read as the end of a complete response.
 */
export function cutOff(res: ServerResponse, err: ProxyError): void {
  res.destroy(err)
}

/**
 * Sends a response that is headers only. On HTTP/2 the headers then carry END_STREAM, which gRPC
 * requires of a trailers-only response (headers written first, then end(), would not).
 */
export function endWithHeaders(res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
  res.statusCode = status
  for (const name in headers) { const v = headers[name]; if (v !== undefined) res.setHeader(name, v) }
  res.end()
}
