// The clusters of one proxy, kept across snapshots: a Service's Cluster object (and its endpoints'
// pools and stats) is updated in place, so routes built for an older snapshot still work.
import type { ClusterIR } from '../../snapshot/types.js'
import { Cluster } from './cluster.js'

export class ClusterSet {
  readonly byService = new Map<string, Cluster>()

  update(clusters: readonly ClusterIR[]): void {
    const seen = new Set<string>()
    for (const ir of clusters) {
      seen.add(ir.service)
      const existing = this.byService.get(ir.service)
      if (existing) existing.update(ir)
      else this.byService.set(ir.service, new Cluster(ir.service, ir))
    }
    for (const [name, cluster] of this.byService) {
      if (!seen.has(name)) { cluster.close(); this.byService.delete(name) }
    }
  }

  close(): void {
    for (const c of this.byService.values()) c.close()
    this.byService.clear()
  }
}
