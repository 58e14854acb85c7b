// Gateways and their listeners, with route tables already attached.
import type { QualifiedName } from './common.js'
import type { ClientTrafficIR } from './client-traffic.js'
import type { RouteTableIR } from './route.js'
import type { StreamRouteIR } from './tcp.js'

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP'

export interface CertificateIR { readonly name: QualifiedName; readonly certFile: string; readonly keyFile: string } // absolute paths

export interface ListenerIR {
  readonly name: string
  readonly port: number
  readonly protocol: ListenerProtocol
  readonly hostname: string | null
  readonly tls: { readonly mode: 'Terminate' | 'Passthrough'; readonly certificates: readonly CertificateIR[] } | null
  readonly routes: RouteTableIR                 // HTTP and HTTPS listeners
  readonly tcpRoutes: readonly StreamRouteIR[]   // TCP (TCPRoute) and TLS passthrough (TLSRoute) listeners
  readonly clientTraffic: ClientTrafficIR | null // null = DEFAULT_CLIENT_TRAFFIC
}

export interface GatewayIR {
  readonly name: QualifiedName
  readonly listeners: readonly ListenerIR[]
}
