// Shapes live state for `trellis get`: proxies and instances are flat records (CLI.md names their
// fields); config resources come back Kubernetes-shaped with a status.
import { parse } from 'yaml'
import type { MeshIR } from '../ir/index.js'
import { selects } from '../snapshot/project.js'
import type { ProxyRecord } from './registry.js'
import type { StoredResource } from './store/types.js'

export function proxyView(p: ProxyRecord, trustDomain: string) {
  return {
    name: p.name, kind: p.kind, workload: p.workload, gateway: p.gateway,
    instance: p.kind === 'sidecar' ? p.name : null, replica: p.replica, pid: p.pid,
    identity: p.identity || `spiffe://${trustDomain}`, adminAddress: p.adminAddress, inboundAddress: p.inboundAddress,
    configVersion: p.configVersion, ackedVersion: p.ackedVersion, nack: p.nack, connected: p.connected,
    appReady: p.appReady, draining: p.draining, circuits: p.observed?.circuits ?? {}, certificate: p.certificate,
    certExpires: p.certificate?.notAfter ?? null,
  }
}

export function instanceViews(ir: MeshIR, proxies: readonly ProxyRecord[]) {
  // Health and ejection as the callers see them: any caller's view counts.
  const ejectedBy = new Map<string, string[]>(), unhealthyFor = new Map<string, string[]>()
  const openCircuits = new Set<string>()
  for (const p of proxies) {
    const o = p.observed
    if (!o) continue
    for (const i of o.ejected) listed(ejectedBy, i, p.name)
    for (const i of o.unhealthy) listed(unhealthyFor, i, p.name)
    for (const [svc, c] of Object.entries(o.circuits)) if (c.open) openCircuits.add(svc)
  }
  return proxies.filter(p => p.kind === 'sidecar' && p.workload).map(p => ({
    name: p.name, incarnation: p.incarnation,
    workload: p.workload, replica: p.replica,
    services: ir.services.filter(s => s.selector && selects(s.selector, p.labels) && s.name.split('/')[0] === (p.workload ?? '').split('/')[0]).map(s => s.name),
    address: p.inboundAddress, pid: p.appPid, proxyPid: p.pid, labels: p.labels,
    healthy: p.connected && p.appReady && !unhealthyFor.has(p.name), ready: p.connected && p.appReady && !p.draining,
    draining: p.draining, ejected: ejectedBy.has(p.name), ejectedBy: ejectedBy.get(p.name) ?? [],
    failingHealthChecksOf: unhealthyFor.get(p.name) ?? [],
    circuit: ir.services.some(s => s.selector && selects(s.selector, p.labels) && openCircuits.has(s.name)) ? 'open' : 'closed',
    proxy: p.id,
  }))
}

/** Adds `name` to the list of `key`, once (proxies report what they see; a list may repeat a name). */
function listed(lists: Map<string, string[]>, key: string, name: string): void {
  const list = lists.get(key)
  if (!list) lists.set(key, [name])
  else if (list[list.length - 1] !== name) list.push(name)
}

const KIND_GROUPS: Record<string, readonly string[]> = {
  services: ['Service'], workloads: ['Workload'], gateways: ['Gateway'], certificates: ['Certificate'],
  routes: ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute'],
  policies: ['TrafficPolicy', 'AuthorizationPolicy', 'SecurityPolicy', 'RateLimitPolicy', 'ClientTrafficPolicy'],
  mesh: ['Mesh'], resources: [],
}

/** What `trellis get` reads, for the error that names an unknown one. */
export const GET_TYPES = [...Object.keys(KIND_GROUPS), 'instances', 'proxies'].sort()

/** Accepts plural group names (`routes`), kinds (`HTTPRoute`) and their plurals (`httproutes`). */
export function kindsFor(group: string): readonly string[] | null {
  const g = group.toLowerCase()
  if (Object.hasOwn(KIND_GROUPS, g)) return KIND_GROUPS[g]            // not `in`: "constructor" is no kind
  for (const kinds of Object.values(KIND_GROUPS)) {
    for (const k of kinds) if (g === k.toLowerCase() || g === `${k.toLowerCase()}s`) return [k]
  }
  return null
}

export function resourceViews(stored: readonly StoredResource[], kinds: readonly string[], version: number) {
  return stored
    .filter(r => kinds.length === 0 || kinds.includes(r.key.split('/')[0]))
    .map(r => {
      const doc = parse(r.text) as Record<string, unknown>
      return { ...doc, status: { configVersion: version, source: `${r.file}:${r.line}` } }
    })
}
