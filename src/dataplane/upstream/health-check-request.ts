// What an active health check sends, shared by the checkers (who send it) and an instance's sidecar
// (which must recognise it, so that callers' checks are not counted as their traffic).
import type { HealthCheckIR } from '../../ir/index.js'

/** The user-agent of every check, HTTP and gRPC. */
export const HEALTH_CHECK_USER_AGENT = 'trellis-health-check'

/** The method and path of a health check request. */
export interface HealthCheckRequest { readonly method: string; readonly path: string }

/** The request callers send to check a Service: null for a TCP connect check (no request at all). */
export function healthCheckRequest(check: HealthCheckIR | null, protocol: string): HealthCheckRequest | null {
  if (check === null) return null
  if (protocol === 'grpc') return { method: 'POST', path: '/grpc.health.v1.Health/Check' }
  return check.path === null ? null : { method: 'GET', path: check.path }
}
