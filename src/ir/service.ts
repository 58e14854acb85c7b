// Services, their static endpoints and health checks; Workloads that `up` runs.
import type { Labels, QualifiedName } from './common.js'
import type { RouteTableIR } from './route.js'
import type { TrafficPolicyIR } from './policy.js'
import type { ClientTrafficIR } from './client-traffic.js'

export type ServiceProtocol = 'http' | 'http2' | 'grpc' | 'tcp'

export interface StaticEndpointIR { readonly address: string; readonly labels: Labels }

export interface HealthCheckIR {
  readonly path: string | null            // null for tcp services: connect only
  readonly intervalMs: number
  readonly timeoutMs: number
  readonly unhealthyThreshold: number
  readonly healthyThreshold: number
}

export interface ServiceIR {
  readonly name: QualifiedName
  readonly protocol: ServiceProtocol
  readonly port: number
  readonly selector: Labels | null        // null = no selector: static endpoints only
  readonly endpoints: readonly StaticEndpointIR[]
  readonly healthCheck: HealthCheckIR | null
  readonly policy: TrafficPolicyIR
  /** Mesh routes (HTTPRoute/GRPCRoute with this Service as parent); one host group '*'. Empty = default route to self. */
  readonly routes: RouteTableIR
  /** ClientTrafficPolicy of its instances' inbound side; null = DEFAULT_CLIENT_TRAFFIC. */
  readonly clientTraffic: ClientTrafficIR | null
}

export interface UpstreamIR { readonly service: QualifiedName; readonly localPort: number | null }

export interface WorkloadIR {
  readonly name: QualifiedName
  readonly labels: Labels
  readonly command: readonly string[]
  readonly replicas: number
  readonly env: Readonly<Record<string, string>>
  readonly identity: string               // service account name (not yet a SPIFFE id)
  readonly workingDir: string             // absolute: the folder of the defining file unless spec.workingDir
  readonly upstreams: readonly UpstreamIR[]
  readonly services: readonly QualifiedName[] // Services whose selector matches the workload labels
}
