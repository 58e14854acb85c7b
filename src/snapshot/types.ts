// What one proxy receives: the slice of the IR it needs plus live endpoints, under one version.
import type {
  AuthorizationIR, ClientTrafficIR, RateLimitsIR, SecurityIR, GatewayIR, HealthCheckIR, Labels, MeshSettingsIR, QualifiedName, RouteTableIR, ServiceProtocol, TrafficPolicyIR,
} from '../ir/index.js'

/** One live instance of a Service: the address callers connect to (the instance's sidecar inbound). */
export interface EndpointIR {
  readonly address: string                // host:port
  readonly instance: string | null        // 'workload/replica' for mesh instances, null for static endpoints
  readonly labels: Labels
  readonly mesh: boolean                  // true: reached through its sidecar; false: static, outside the mesh
  /** The SPIFFE ID its sidecar proves: callers connect over mTLS and check it. Null: plaintext
   *  (static endpoints, or the Mesh's mtls is DISABLE). */
  readonly identity: string | null
}

/** Everything a caller needs to reach one Service. */
export interface ClusterIR {
  readonly service: QualifiedName
  readonly protocol: ServiceProtocol
  readonly port: number
  readonly policy: TrafficPolicyIR
  readonly healthCheck: HealthCheckIR | null
  readonly endpoints: readonly EndpointIR[] // sorted by address
}

/** A sidecar's local listener for one upstream Service. */
export interface OutboundListenerIR {
  readonly service: QualifiedName
  readonly protocol: ServiceProtocol
  readonly localPort: number | null       // null: the proxy chooses (or is told on its command line)
  readonly port: number                   // the Service's port (redirects keep it)
  readonly routes: RouteTableIR
}

export interface SidecarSnapshot {
  readonly kind: 'sidecar'
  readonly version: number
  readonly mesh: MeshSettingsIR
  readonly workload: QualifiedName
  readonly identity: string
  /** `clientTraffic`: the ClientTrafficPolicy of the first served Service that has one; null = defaults. */
  readonly inbound: {
    readonly services: readonly QualifiedName[]; readonly protocol: ServiceProtocol; readonly clientTraffic: ClientTrafficIR | null
    /** The first served Service's health check: the sidecar judges its app's readiness by it. */
    readonly healthCheck: HealthCheckIR | null
    /** AuthorizationPolicies of every served Service, merged (one inbound port serves them all). */
    readonly authorization: AuthorizationIR | null
    /** RateLimitPolicies of every served Service, merged. */
    readonly rateLimits: RateLimitsIR | null
  }
  readonly routeRateLimits: Readonly<Record<QualifiedName, RateLimitsIR>>
  /** AuthorizationPolicies on the routes of the outbound listeners, checked with this sidecar's identity. */
  readonly routeAuthorization: Readonly<Record<QualifiedName, AuthorizationIR>>
  readonly outbound: readonly OutboundListenerIR[] // sorted by service
  readonly clusters: readonly ClusterIR[]          // sorted by service
}

export interface GatewaySnapshot {
  readonly kind: 'gateway'
  readonly version: number
  readonly mesh: MeshSettingsIR
  readonly gateway: GatewayIR
  readonly clusters: readonly ClusterIR[]
  /** Per listener name: the Gateway's AuthorizationPolicies and the listener's own, merged. */
  readonly authorization: Readonly<Record<string, AuthorizationIR>>
  readonly routeAuthorization: Readonly<Record<QualifiedName, AuthorizationIR>>
  /** Per listener name: the Gateway's RateLimitPolicies and the listener's own. */
  readonly rateLimits: Readonly<Record<string, RateLimitsIR>>
  readonly routeRateLimits: Readonly<Record<QualifiedName, RateLimitsIR>>
  /** Per listener name: its own SecurityPolicy, else the Gateway's. */
  readonly security: Readonly<Record<string, SecurityIR>>
  /** SecurityPolicies of the routes in its tables; a route's replaces the listener's. */
  readonly routeSecurity: Readonly<Record<QualifiedName, SecurityIR>>
}

export type Snapshot = SidecarSnapshot | GatewaySnapshot

/** A registered instance as the registry knows it (input to projection). */
export interface InstanceRecord {
  readonly workload: QualifiedName
  readonly replica: number
  readonly labels: Labels
  readonly address: string               // the sidecar's inbound address callers use
  /** The SPIFFE ID its sidecar registered with; absent for instances recovered from the store. */
  readonly identity?: string
  readonly ready: boolean                 // app accepts connections and proxy acked config
  readonly draining: boolean              // being stopped: no new traffic
}
