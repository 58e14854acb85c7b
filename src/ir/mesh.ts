// Mesh-wide settings (the `Mesh` kind, defaults filled in).
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE'

export interface MeshSettingsIR {
  readonly trustDomain: string            // default 'trellis.local'
  readonly mtls: MtlsMode                 // default 'STRICT'
  readonly controlPlaneListen: string     // default '127.0.0.1:15000'
  readonly drainTimeoutMs: number         // default 10000
  readonly tracing: TracingIR
}

/** W3C trace context is always propagated; spans are exported only with an OTLP endpoint. */
export interface TracingIR {
  readonly samplingPercent: number        // share of new traces recorded; default 1
  readonly otlpEndpoint: string | null    // OTLP/HTTP JSON traces endpoint, e.g. http://127.0.0.1:4318/v1/traces
}

export const DEFAULT_MESH: MeshSettingsIR = {
  trustDomain: 'trellis.local',
  mtls: 'STRICT',
  controlPlaneListen: '127.0.0.1:15000',
  drainTimeoutMs: 10_000,
  tracing: { samplingPercent: 1, otlpEndpoint: null },
}
