// IR + live instances → the snapshot one proxy needs. Pure: same input, same output.
import { spiffeId, splitQualified } from '../identity/spiffe.js'
import { mergeAuthorization, mergeRateLimits, NO_SECURITY, type AuthorizationIR, type SecurityIR, type RateLimitsIR, type MeshIR, type QualifiedName, type RouteTableIR, type ServiceIR, type Labels } from '../ir/index.js'
import type {
  ClusterIR, EndpointIR, GatewaySnapshot, InstanceRecord, OutboundListenerIR, SidecarSnapshot,
} from './types.js'

export function projectSidecar(
  ir: MeshIR, workloadName: QualifiedName, instances: readonly InstanceRecord[], version: number,
): SidecarSnapshot | null {
  const workload = ir.workloads.find(w => w.name === workloadName)
  if (!workload) return null
  const services = serviceIndex(ir)
  const outbound: OutboundListenerIR[] = []
  const tables: RouteTableIR[] = []
  for (const up of workload.upstreams) {
    const svc = services.get(up.service)
    if (!svc) continue
    outbound.push({ service: svc.name, protocol: svc.protocol, localPort: up.localPort, port: svc.port, routes: svc.routes })
    tables.push(svc.routes)
  }
  outbound.sort((a, b) => cmp(a.service, b.service))
  const served = workload.services.map(s => services.get(s)).filter((s): s is ServiceIR => !!s)
  return {
    kind: 'sidecar',
    version,
    mesh: ir.mesh,
    workload: workload.name,
    identity: workload.identity,
    inbound: {
      services: workload.services, protocol: served[0]?.protocol ?? 'http',
      clientTraffic: served.find(s => s.clientTraffic !== null)?.clientTraffic ?? null,
      healthCheck: served.find(s => s.healthCheck !== null)?.healthCheck ?? null,
      authorization: mergeAuthorization(workload.services.map(s => ir.authorization.services[s])),
      rateLimits: mergeRateLimits(workload.services.map(s => ir.rateLimits.services[s])),
    },
    routeAuthorization: routePolicies(ir.authorization.routes, tables),
    routeRateLimits: routePolicies(ir.rateLimits.routes, tables),
    outbound,
    clusters: projectClusters(services, tables, instances, [], meshIdentities(ir)),
  }
}

export function projectGateway(
  ir: MeshIR, gatewayName: QualifiedName, instances: readonly InstanceRecord[], version: number,
): GatewaySnapshot | null {
  const gateway = ir.gateways.find(g => g.name === gatewayName)
  if (!gateway) return null
  const tables = gateway.listeners.map(l => l.routes)
  const streamBackends = gateway.listeners.flatMap(l => l.tcpRoutes.flatMap(r => r.backends.map(b => b.service)))
  const authorization: Record<string, AuthorizationIR> = {}
  const rateLimits: Record<string, RateLimitsIR> = {}
  for (const l of gateway.listeners) {
    const own = `${gateway.name}#${l.name}`
    const authz = mergeAuthorization([ir.authorization.gateways[gateway.name], ir.authorization.gateways[own]])
    if (authz) authorization[l.name] = authz
    const limits = mergeRateLimits([ir.rateLimits.gateways[gateway.name], ir.rateLimits.gateways[own]])
    if (limits) rateLimits[l.name] = limits
  }
  // One SecurityPolicy per listener: its own, else the Gateway's (policies are not merged).
  const sec = ir.security ?? NO_SECURITY
  const security: Record<string, SecurityIR> = {}
  for (const l of gateway.listeners) {
    const policy = sec.gateways[`${gateway.name}#${l.name}`] ?? sec.gateways[gateway.name]
    if (policy) security[l.name] = policy
  }
  return {
    kind: 'gateway', version, mesh: ir.mesh, gateway,
    clusters: projectClusters(serviceIndex(ir), tables, instances, streamBackends, meshIdentities(ir)),
    authorization, routeAuthorization: routePolicies(ir.authorization.routes, tables),
    rateLimits, routeRateLimits: routePolicies(ir.rateLimits.routes, tables),
    security, routeSecurity: routePolicies(sec.routes, tables),
  }
}

/** The policies (by route name) of the routes in these tables. */
function routePolicies<T>(byRoute: Readonly<Record<QualifiedName, T>>, tables: readonly RouteTableIR[]): Record<QualifiedName, T> {
  const out: Record<QualifiedName, T> = {}
  for (const table of tables) {
    for (const host of table.hosts) for (const entry of host.entries) {
      const p = byRoute[entry.route]
      if (p) out[entry.route] = p
    }
  }
  return out
}

/** Every Service a set of route tables can send to (backends and mirrors), with its live endpoints. */
export function projectClusters(
  services: ReadonlyMap<QualifiedName, ServiceIR>, tables: readonly RouteTableIR[], instances: readonly InstanceRecord[],
  extra: readonly (QualifiedName | null)[] = [], identities: IdentityOf = NO_MTLS,
): ClusterIR[] {
  const wanted = new Set<QualifiedName>()
  for (const name of extra) if (name) wanted.add(name)
  for (const table of tables) {
    for (const host of table.hosts) {
      for (const entry of host.entries) {
        for (const backend of entry.backends) {
          if (backend.service) wanted.add(backend.service)
          for (const f of backend.filters) if (f.type === 'RequestMirror' && f.requestMirror.service) wanted.add(f.requestMirror.service)
        }
        for (const f of entry.filters) if (f.type === 'RequestMirror' && f.requestMirror.service) wanted.add(f.requestMirror.service)
      }
    }
  }
  const clusters: ClusterIR[] = []
  for (const name of [...wanted].sort(cmp)) {
    const svc = services.get(name)
    if (!svc) continue
    clusters.push({
      service: svc.name, protocol: svc.protocol, port: svc.port, policy: svc.policy,
      healthCheck: svc.healthCheck, endpoints: projectEndpoints(svc, instances, identities),
    })
  }
  return clusters
}

/** The SPIFFE ID a mesh instance's sidecar proves, or null when callers reach it in plaintext. */
type IdentityOf = (inst: InstanceRecord) => string | null
const NO_MTLS: IdentityOf = () => null

/** mTLS unless the Mesh disables it; an instance's identity as registered, else as its Workload says. */
function meshIdentities(ir: MeshIR): IdentityOf {
  if (ir.mesh.mtls === 'DISABLE') return NO_MTLS
  const byWorkload = new Map(ir.workloads.map(w => [w.name, spiffeId(ir.mesh.trustDomain, splitQualified(w.name)[0], w.identity)]))
  return inst => inst.identity ?? byWorkload.get(inst.workload) ?? null
}

export function projectEndpoints(svc: ServiceIR, instances: readonly InstanceRecord[], identities: IdentityOf = NO_MTLS): EndpointIR[] {
  const out: EndpointIR[] = []
  if (svc.selector) {
    for (const inst of instances) {
      if (!inst.ready || inst.draining || !selects(svc.selector, inst.labels) || !sameNamespace(svc.name, inst.workload)) continue
      out.push({ address: inst.address, instance: `${inst.workload}/${inst.replica}`, labels: inst.labels, mesh: true, identity: identities(inst) })
    }
  }
  for (const ep of svc.endpoints) out.push({ address: ep.address, instance: null, labels: ep.labels, mesh: false, identity: null })
  out.sort((a, b) => cmp(a.address, b.address))
  return out
}

export function selects(selector: Labels, labels: Labels): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false
  return true
}

/** A Service selects instances of Workloads in its own namespace only. */
function sameNamespace(a: QualifiedName, b: QualifiedName): boolean {
  return a.slice(0, a.indexOf('/')) === b.slice(0, b.indexOf('/'))
}

function serviceIndex(ir: MeshIR): Map<QualifiedName, ServiceIR> {
  return new Map(ir.services.map(s => [s.name, s]))
}

function cmp(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0 }
