// Stream routing (TCPRoute, TLSRoute passthrough) on Gateway TCP and TLS listeners.
import type { QualifiedName } from './common.js'

/** A weighted backendRef of a stream route. `service` null = missing Service: its share is refused. */
export interface StreamBackendIR { readonly service: QualifiedName | null; readonly weight: number }

/**
 * One (hostname, route, rule) of a TCP or TLS listener. `hostname` is the SNI name the entry
 * serves (exact, `*.suffix`, or '*' for any, always '*' on TCP listeners). Entries are sorted most
 * specific hostname first, then by route name and rule, so the data plane takes the first that fits.
 */
export interface StreamRouteIR {
  readonly hostname: string
  readonly route: QualifiedName
  readonly rule: number
  readonly backends: readonly StreamBackendIR[]
}
