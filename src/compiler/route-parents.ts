// parentRefs → the Services (mesh routes) and Gateway listeners a route attaches to.
// A parentRef, sectionName or port that attaches to nothing is an error.
import type { ListenerProtocol } from '../ir/gateway.js'
import type { ParentRef } from '../resources/gateway-api-refs.js'
import { GATEWAY_GROUP } from '../resources/gateway-api-refs.js'
import type { GatewaySpec, Listener } from '../resources/gateway.js'
import type { ServiceSpec } from '../resources/service.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { SERVICE_GROUPS } from './backends.js'
import { resolveRef, type Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { routeHostnames } from './hostnames.js'

export type Attachment =
  | { readonly type: 'service'; readonly service: string }
  | { readonly type: 'listener'; readonly gateway: string; readonly listener: string; readonly hostnames: readonly string[] }

export interface RouteSpecLike { parentRefs: ParentRef[]; hostnames?: string[] }

export const ROUTE_PROTOCOLS: Readonly<Record<string, readonly ListenerProtocol[]>> = {
  HTTPRoute: ['HTTP', 'HTTPS'], GRPCRoute: ['HTTP', 'HTTPS'], TLSRoute: ['TLS'], TCPRoute: ['TCP'],
}

/** The parentRef's group; left out, it is "" for a Service (GAMMA) and the Gateway API group otherwise. */
function groupOf(ref: ParentRef): string {
  return ref.group ?? (ref.kind === 'Service' ? '' : GATEWAY_GROUP)
}

function isService(ref: ParentRef): boolean {
  return ref.kind === 'Service' && SERVICE_GROUPS.includes(groupOf(ref))
}

function isGateway(ref: ParentRef): boolean {
  return ref.kind === 'Gateway' && groupOf(ref) === GATEWAY_GROUP
}

function allows(l: Listener, gateway: ValidResource, route: ValidResource): boolean {
  const kinds = l.allowedRoutes?.kinds
  if (kinds && !kinds.some(k => k.kind === route.kind && k.group === GATEWAY_GROUP)) return false
  const from = l.allowedRoutes?.namespaces?.from ?? 'Same'
  return from !== 'Same' || gateway.namespace === route.namespace
}

interface Ctx { cat: Catalog; sink: DiagnosticSink; route: ValidResource<RouteSpecLike> }

function attachToService(ctx: Ctx, ref: ParentRef, i: number, out: Attachment[]): void {
  const { cat, sink, route } = ctx
  const src = route.source
  const path = ['spec', 'parentRefs', i]
  const ns = ref.namespace ?? route.namespace
  const q = `${ns}/${ref.name}`
  if (route.kind === 'TLSRoute') {
    sink.error(src, [...path, 'kind'], 'PARENT_KIND', 'a TLSRoute attaches to a Gateway only', 'use kind: Gateway')
    return
  }
  const svc = resolveRef<ServiceSpec>(cat, sink, src, path, { kind: 'Service', namespace: ns, name: ref.name, home: route.namespace })
  if (!svc) return
  if (ref.sectionName !== undefined) {
    sink.error(src, [...path, 'sectionName'], 'NO_SECTION', 'a Service parent has no sections', 'leave sectionName out', 'key')
    return
  }
  if (ref.port !== undefined && ref.port !== svc.spec.port) {
    sink.error(src, [...path, 'port'], 'PORT_MISMATCH', `port ${ref.port} does not match Service "${ref.name}" port ${svc.spec.port}`,
      `use port: ${svc.spec.port}, or leave it out`)
    return
  }
  out.push({ type: 'service', service: q })
}

function attachToGateway(ctx: Ctx, ref: ParentRef, i: number, out: Attachment[]): void {
  const { cat, sink, route } = ctx
  const src = route.source
  const path = ['spec', 'parentRefs', i]
  const ns = ref.namespace ?? route.namespace
  const gw = resolveRef<GatewaySpec>(cat, sink, src, path, { kind: 'Gateway', namespace: ns, name: ref.name, home: route.namespace })
  if (!gw) return
  let listeners = gw.spec.listeners
  if (ref.sectionName !== undefined) {
    listeners = listeners.filter(l => l.name === ref.sectionName)
    if (listeners.length === 0) {
      sink.error(src, [...path, 'sectionName'], 'REF_NOT_FOUND', `listener "${ref.sectionName}" not found in Gateway "${ref.name}"`,
        `known: ${gw.spec.listeners.map(l => l.name).sort().join(', ')}`)
      return
    }
  }
  if (ref.port !== undefined) {
    const before = listeners
    listeners = listeners.filter(l => l.port === ref.port)
    if (listeners.length === 0) {
      sink.error(src, [...path, 'port'], 'REF_NOT_FOUND', `no listener of Gateway "${ref.name}" has port ${ref.port}`,
        `listener ports: ${[...new Set(before.map(l => l.port))].sort((a, b) => a - b).join(', ')}`)
      return
    }
  }
  const protocols = ROUTE_PROTOCOLS[route.kind] ?? []
  const matching = listeners.filter(l => protocols.includes(l.protocol))
  if (matching.length === 0) {
    const which = ref.sectionName !== undefined ? `listener "${ref.sectionName}" of Gateway "${ref.name}" has protocol ${listeners[0].protocol}`
      : `Gateway "${ref.name}" has no ${protocols.join(' or ')} listener${ref.port !== undefined ? ` on port ${ref.port}` : ''}`
    sink.error(src, path, 'NO_LISTENER', which, `${route.kind} attaches to ${protocols.join(' or ')} listeners`)
    return
  }
  const allowed = matching.filter(l => allows(l, gw, route))
  if (allowed.length === 0) {
    sink.error(src, path, 'NOT_ALLOWED', `Gateway "${ref.name}" does not accept ${route.kind}s from namespace "${route.namespace}"`,
      'set allowedRoutes on its listener (namespaces.from: All, or the route kind in kinds)')
    return
  }
  const routeHosts = route.spec.hostnames ?? []
  let attached = 0
  for (const l of allowed) {
    const hostnames = route.kind === 'TCPRoute' ? ['*'] : routeHostnames(routeHosts, l.hostname ?? null)
    if (hostnames.length === 0) continue
    attached++
    out.push({ type: 'listener', gateway: gw.qualifiedName, listener: l.name, hostnames })
  }
  if (attached === 0) {
    sink.warn(src, ['spec', 'hostnames'], 'NO_MATCHING_HOSTNAME',
      `no hostname of this route matches a listener of Gateway "${ref.name}"; its requests get 404`,
      `listener hostnames: ${allowed.map(l => l.hostname ?? '*').join(', ')}`)
  }
}

/** Resolves every parentRef of a valid route; problems go to `sink`. */
export function resolveParents(cat: Catalog, sink: DiagnosticSink, route: ValidResource<RouteSpecLike>): Attachment[] {
  const out: Attachment[] = []
  const refs = route.spec.parentRefs
  const hostnames = route.spec.hostnames ?? []
  if (hostnames.length > 0 && refs.every(isService)) {
    sink.error(route.source, ['spec', 'hostnames'], 'HOSTNAMES_WITHOUT_GATEWAY',
      'hostnames are only used with a Gateway parent', 'leave hostnames out of a mesh route (Service parent)', 'key')
  }
  refs.forEach((ref, i) => {
    if (isService(ref)) attachToService({ cat, sink, route }, ref, i, out)
    else if (isGateway(ref)) attachToGateway({ cat, sink, route }, ref, i, out)
    else {
      const what = ref.group ? `${ref.kind}.${ref.group}` : ref.kind
      sink.error(route.source, ['spec', 'parentRefs', i, 'kind'], 'PARENT_KIND', `parentRef kind "${what}" is not supported`,
        'use kind: Gateway (group gateway.networking.k8s.io) or kind: Service (group "")')
    }
  })
  return out
}
