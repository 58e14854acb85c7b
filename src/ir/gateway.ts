// Gateways and their listeners, with route tables already attached.
import type { QualifiedName } from './common.js'
import type { RouteTableIR } from './route.js'

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP'

export interface CertificateIR { readonly name: QualifiedName; readonly certFile: string; readonly keyFile: string } // absolute paths

export interface ListenerIR {
  readonly name: string
  readonly port: number
  readonly protocol: ListenerProtocol
  readonly hostname: string | null
  readonly tls: { readonly mode: 'Terminate' | 'Passthrough'; readonly certificates: readonly CertificateIR[] } | null
  readonly routes: RouteTableIR
}

export interface GatewayIR {
  readonly name: QualifiedName
  readonly listeners: readonly ListenerIR[]
}
