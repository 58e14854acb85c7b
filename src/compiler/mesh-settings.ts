// The Mesh kind → MeshSettingsIR (defaults when there is none).
import { DEFAULT_MESH, type MeshSettingsIR } from '../ir/mesh.js'
import type { MeshSpec } from '../resources/mesh.js'
import type { Catalog } from './catalog.js'

export function compileMeshSettings(cat: Catalog): MeshSettingsIR {
  const mesh = cat.list<MeshSpec>('Mesh')[0]
  if (!mesh) return DEFAULT_MESH
  return {
    trustDomain: mesh.spec.trustDomain,
    mtls: mesh.spec.mtls,
    controlPlaneListen: mesh.spec.controlPlane.listen,
    drainTimeoutMs: mesh.spec.drainTimeout,
    tracing: {
      samplingPercent: mesh.spec.tracing?.sampling ?? DEFAULT_MESH.tracing.samplingPercent,
      otlpEndpoint: mesh.spec.tracing?.otlp?.endpoint ?? null,
    },
  }
}
