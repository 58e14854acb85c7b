// Mesh-wide settings (the `Mesh` kind, defaults filled in).
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE'

export interface MeshSettingsIR {
  readonly trustDomain: string            // default 'trellis.local'
  readonly mtls: MtlsMode                 // default 'STRICT'
  readonly controlPlaneListen: string     // default '127.0.0.1:15000'
  readonly drainTimeoutMs: number         // default 10000
}

export const DEFAULT_MESH: MeshSettingsIR = {
  trustDomain: 'trellis.local',
  mtls: 'STRICT',
  controlPlaneListen: '127.0.0.1:15000',
  drainTimeoutMs: 10_000,
}
