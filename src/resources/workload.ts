// Workload: processes that `trellis up` starts, each with its sidecar, and the services they call.
import { dnsLabel, nonEmpty, port } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { def, int, list, opt, refine, strMap, type Infer } from './schema.js'

export const upstreamSchema = obj({ service: dnsLabel(), localPort: opt(port()) })

export const workloadSpec = refine(obj({
  command: list(nonEmpty(), { min: 1 }),
  replicas: def(int(0, 1000), 1),
  env: def(strMap(), {}),
  identity: opt(dnsLabel()),
  workingDir: opt(nonEmpty()),
  upstreams: def(list(upstreamSchema), []),
}), (spec, path, issues) => {
  const seen = new Set<string>()
  spec.upstreams.forEach((u, i) => {
    if (seen.has(u.service)) {
      issues.error([...path, 'upstreams', i, 'service'], 'DUPLICATE', `service "${u.service}" is listed twice`,
        'list each upstream service once')
    }
    seen.add(u.service)
  })
  for (const name of Object.keys(spec.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      issues.error([...path, 'env', name], 'INVALID_VALUE', `"${name}" is not a valid environment variable name`,
        'use letters, digits and "_", not starting with a digit', 'key')
    }
  }
})
export type WorkloadSpec = Infer<typeof workloadSpec>

registerKind({ kind: 'Workload', apiVersion: TRELLIS_V1ALPHA1, spec: workloadSpec })

