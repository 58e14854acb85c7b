// gRPC status codes and how the mesh's own failures map onto them: a gRPC client must see
// UNAVAILABLE or DEADLINE_EXCEEDED in trailers, not an HTTP 503 body it cannot parse.
import type { Reason } from '../errors.js'

export const GRPC = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16,
} as const

const BY_REASON: Record<Reason, number> = {
  no_route: GRPC.UNIMPLEMENTED, no_backend: GRPC.INTERNAL, denied: GRPC.PERMISSION_DENIED,
  unauthenticated: GRPC.UNAUTHENTICATED, rate_limited: GRPC.RESOURCE_EXHAUSTED, overloaded: GRPC.UNAVAILABLE,
  unavailable: GRPC.UNAVAILABLE, timeout: GRPC.DEADLINE_EXCEEDED, too_large: GRPC.RESOURCE_EXHAUSTED,
  bad_request: GRPC.INTERNAL, fault_injected: GRPC.UNAVAILABLE, upstream_reset: GRPC.UNAVAILABLE,
}

export function grpcStatusFor(reason: Reason): number { return BY_REASON[reason] }

/** The gRPC status a client reads from an HTTP status, as gRPC maps them (doc/http-grpc-status-mapping.md). */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return GRPC.INTERNAL
    case 401: return GRPC.UNAUTHENTICATED
    case 403: return GRPC.PERMISSION_DENIED
    case 404: return GRPC.UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return GRPC.UNAVAILABLE
    default: return GRPC.UNKNOWN
  }
}

/** retryOn names for gRPC statuses. */
export const GRPC_RETRY_NAMES: Readonly<Record<string, number>> = {
  cancelled: GRPC.CANCELLED, 'deadline-exceeded': GRPC.DEADLINE_EXCEEDED, internal: GRPC.INTERNAL,
  'resource-exhausted': GRPC.RESOURCE_EXHAUSTED, unavailable: GRPC.UNAVAILABLE,
}

export function isGrpc(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.startsWith('application/grpc')
}

/** `grpc-timeout` (e.g. `250m`, `5S`, `100000u`) → ms; null when absent or malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string' || value.length < 2 || value.length > 9) return null
  const n = Number(value.slice(0, -1))
  if (!Number.isInteger(n) || n < 0) return null
  switch (value[value.length - 1]) {
    case 'H': return n * 3_600_000
    case 'M': return n * 60_000
    case 'S': return n * 1000
    case 'm': return n
    case 'u': return Math.ceil(n / 1000)
    case 'n': return Math.ceil(n / 1_000_000)
    default: return null
  }
}

/** The longest timer Node keeps (2^31-1 ms, ~24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Remaining time as a `grpc-timeout` value for the next hop: milliseconds while they fit the
 * protocol's 8 digits (~27 hours), then the finest unit that does, rounded down.
 */
export function formatGrpcTimeout(ms: number): string {
  const m = Math.max(0, Math.floor(ms))
  if (m < 1e8) return `${m}m`
  if (m < 1e11) return `${Math.floor(m / 1000)}S`
  if (m < 6e12) return `${Math.floor(m / 60_000)}M`
  return `${Math.min(99_999_999, Math.floor(m / 3_600_000))}H`
}
