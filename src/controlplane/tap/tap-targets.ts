// Which proxies take part in a tap of one Service: the sidecars serving it send their inbound
// summaries; the proxies that can call it (sidecars with it, or a route to it, as an upstream, and
// gateways routing to it) name the route they matched while the tap runs, and send summaries of the
// requests for it they answer themselves (denied, no route, no healthy endpoint …). A tap of a
// Gateway (`--gateway`) involves that Gateway's proxy alone, which summarizes every request it serves.
import type { MeshIR, QualifiedName, RouteTableIR } from '../../ir/index.js'
import type { ProxyRecord } from '../registry.js'

/** `answers` goes with `tag`: a proxy that can call the Service can also answer for it. */
export interface TapRole { readonly events: boolean; readonly tag: boolean; readonly answers: boolean }

/** What is tapped: a Service (its sidecars and callers) or a Gateway (every request it serves). */
export interface TapTarget { readonly kind: 'service' | 'gateway'; readonly name: QualifiedName }

export function tapRole(ir: MeshIR, p: ProxyRecord, target: TapTarget): TapRole | null {
  if (target.kind === 'gateway') {
    return p.kind === 'gateway' && p.gateway === target.name ? { events: true, tag: false, answers: false } : null
  }
  const service = target.name
  // A Service with static endpoints only has no sidecars to tap, and its endpoints are outside
  // the mesh: callers must not name their routes to them.
  if (!ir.services.some(s => s.name === service && s.selector !== null)) return null
  if (p.kind === 'gateway') {
    const gw = ir.gateways.find(g => g.name === p.gateway)
    const tag = gw?.listeners.some(l => reaches(l.routes, service)) ?? false
    return tag ? { events: false, tag, answers: tag } : null
  }
  const w = ir.workloads.find(x => x.name === p.workload)
  if (!w) return null
  const events = w.services.includes(service)
  const tag = w.upstreams.some(u => u.service === service || reaches(ir.services.find(s => s.name === u.service)?.routes, service))
  return events || tag ? { events, tag, answers: tag } : null
}

function reaches(table: RouteTableIR | undefined, service: QualifiedName): boolean {
  return table?.hosts.some(h => h.entries.some(e => e.backends.some(b => b.service === service))) ?? false
}
