// The clusters of one proxy, kept across snapshots: a Service's Cluster object (and its endpoints'
// pools and stats) is updated in place, so routes built for an older snapshot still work.
import type { ClusterIR } from '../../snapshot/types.js'
import type { MeshCertificate } from '../mtls/mesh-certificate.js'
import { Cluster } from './cluster.js'

export class ClusterSet {
  readonly byService = new Map<string, Cluster>()

  constructor(private readonly certificate: MeshCertificate | null = null) {}

  update(clusters: readonly ClusterIR[]): void {
    const seen = new Set<string>()
    for (const ir of clusters) {
      seen.add(ir.service)
      const existing = this.byService.get(ir.service)
      if (existing) existing.update(ir)
      else this.byService.set(ir.service, new Cluster(ir.service, ir, this.certificate))
    }
    for (const [name, cluster] of this.byService) {
      if (!seen.has(name)) { cluster.close(); this.byService.delete(name) }
    }
  }

  close(): void {
    for (const c of this.byService.values()) c.close()
    this.byService.clear()
  }

  /** Per-destination resilience counters and state in Prometheus text. */
  metricsText(): string {
    const rows: [string, string, string, (c: Cluster) => number][] = [
      ['trellis_retries_total', 'counter', 'Retries sent, by destination Service.', c => c.retries],
      ['trellis_retry_budget_exhausted_total', 'counter', 'Retries refused by the retry budget.', c => c.budget.exhausted],
      ['trellis_circuit_breaker_rejections_total', 'counter', 'Requests rejected by the circuit breaker.', c => c.breaker?.rejected ?? 0],
      ['trellis_outlier_ejections_total', 'counter', 'Endpoints ejected by outlier detection.', c => c.outliers?.ejections ?? 0],
      ['trellis_endpoints_eligible', 'gauge', 'Endpoints healthy and not ejected.', c => c.endpoints.filter(e => e.eligible).length],
      ['trellis_cluster_panic', 'gauge', '1 while no endpoint is eligible and traffic goes to all.', c => (c.panic ? 1 : 0)],
      ['trellis_upstream_connections_opened_total', 'counter', 'HTTP/1.1 connections opened to instances of the Service.', c => c.connectionsOpened],
      ['trellis_upstream_connections_idle', 'gauge', 'Idle keep-alive HTTP/1.1 connections to instances of the Service.', c => c.connectionsIdle],
      ['trellis_mirror_copies_skipped_total', 'counter', 'Request mirror copies to the Service not sent: too many were still open.', c => c.mirrorsSkipped],
    ]
    const out: string[] = []
    for (const [name, type, help, value] of rows) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [service, c] of this.byService) out.push(`${name}{service="${service}"} ${value(c)}`)
    }
    return out.join('\n')
  }

  /** What this proxy sees of its destinations, reported to the control plane for `trellis get`. */
  observe(): Observation {
    const ejected: string[] = [], unhealthy: string[] = [], circuits: Record<string, CircuitView> = {}
    for (const [service, c] of this.byService) {
      for (const ep of c.endpoints) {
        const id = ep.instance ?? ep.key
        if (ep.ejectedUntil > 0) ejected.push(id)
        if (!ep.healthy) unhealthy.push(id)
      }
      if (c.breaker) circuits[service] = { open: c.breaker.open, active: c.breaker.active, rejected: c.breaker.rejected }
    }
    return { ejected, unhealthy, circuits }
  }
}

export interface CircuitView { readonly open: boolean; readonly active: number; readonly rejected: number }
export interface Observation { readonly ejected: string[]; readonly unhealthy: string[]; readonly circuits: Record<string, CircuitView> }
