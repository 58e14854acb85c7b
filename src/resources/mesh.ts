// Mesh: mesh-wide settings (at most one).
import { DEFAULT_MESH } from '../ir/mesh.js'
import { hostPort, hostname } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { def, duration, num, oneOf, opt, str, type Infer } from './schema.js'

export const meshSpec = obj({
  trustDomain: def(hostname(), DEFAULT_MESH.trustDomain),
  mtls: def(oneOf(['STRICT', 'PERMISSIVE', 'DISABLE']), DEFAULT_MESH.mtls),
  controlPlane: def(obj({ listen: def(hostPort(), DEFAULT_MESH.controlPlaneListen) }),
    { listen: DEFAULT_MESH.controlPlaneListen }),
  drainTimeout: def(duration(), DEFAULT_MESH.drainTimeoutMs),
  tracing: opt(obj({
    sampling: def(num(0, 100), DEFAULT_MESH.tracing.samplingPercent),
    otlp: opt(obj({ endpoint: str({ pattern: /^https?:\/\/\S+$/, describe: 'an http:// or https:// URL such as http://127.0.0.1:4318/v1/traces' }) })),
  })),
})
export type MeshSpec = Infer<typeof meshSpec>

registerKind({ kind: 'Mesh', apiVersion: TRELLIS_V1ALPHA1, spec: meshSpec, specOptional: true })
