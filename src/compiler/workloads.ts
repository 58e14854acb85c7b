// Workloads → WorkloadIR: defaults, resolved upstreams and the Services that select each workload.
import { resolve } from 'node:path'
import type { WorkloadIR } from '../ir/service.js'
import type { ServiceSpec } from '../resources/service.js'
import type { WorkloadSpec } from '../resources/workload.js'
import { notFound, type Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import { selects, sortedRecord } from './labels.js'
import { GATEWAY_IDENTITY_PREFIX } from '../identity/spiffe.js'

export function compileWorkloads(cat: Catalog, sink: DiagnosticSink): WorkloadIR[] {
  const services = cat.list<ServiceSpec>('Service')
  const out: WorkloadIR[] = []
  for (const w of cat.list<WorkloadSpec>('Workload')) {
    const upstreams = w.spec.upstreams.map((u, i) => {
      const q = `${w.namespace}/${u.service}`
      if (!cat.exists('Service', q)) {
        const nf = notFound(cat, 'Service', w.namespace, u.service, w.namespace)
        sink.error(w.source, ['spec', 'upstreams', i, 'service'], 'REF_NOT_FOUND', nf.message, nf.hint)
      }
      return { service: q, localPort: u.localPort ?? null }
    })
    const identity = w.spec.identity ?? w.name
    if (identity.startsWith(GATEWAY_IDENTITY_PREFIX)) {
      // Sidecars trust x-trellis-consumer, and policies name `gateway`, by this prefix alone.
      sink.error(w.source, w.spec.identity !== undefined ? ['spec', 'identity'] : ['metadata', 'name'], 'INVALID_VALUE',
        `identity "${identity}" starts with "${GATEWAY_IDENTITY_PREFIX}", which is reserved for Gateway proxies`,
        w.spec.identity !== undefined ? 'choose another identity' : 'set spec.identity to a name that does not start with "gateway-"')
    }
    if (sink.hasErrors(w.source)) continue
    const labels = sortedRecord(w.metadata.labels)
    out.push({
      name: w.qualifiedName,
      labels,
      command: [...w.spec.command],
      replicas: w.spec.replicas,
      env: sortedRecord(w.spec.env),
      identity,
      workingDir: resolve(w.source.dir, w.spec.workingDir ?? '.'),
      upstreams: upstreams.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0)),
      services: services
        .filter(s => s.namespace === w.namespace && selects(s.spec.selector, w.metadata.labels))
        .map(s => s.qualifiedName),
    })
  }
  return out
}
