// backendRefs (and mirror backendRefs) → a Service's qualified name, or null with a warning.
import type { FieldPath } from '../config/source.js'
import type { ServiceSpec } from '../resources/service.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { resolveRef, type Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'

export const SERVICE_GROUPS = ['', 'core', 'trellis.dev']

export interface ServiceRefLike { group?: string; kind?: string; name: string; namespace?: string; port?: number }

/**
 * The Service a backendRef names. Missing Service or unsupported kind: a warning and null
 * (its share of requests gets 500 at run time). A Service that exists but is invalid: null, silently.
 * A `port` that differs from the Service's port: an error.
 */
export function resolveBackend(cat: Catalog, sink: DiagnosticSink, owner: ValidResource, ref: ServiceRefLike,
  path: FieldPath): string | null {
  const src = owner.source
  const kind = ref.kind ?? 'Service'
  const group = ref.group ?? ''
  if (kind !== 'Service' || !SERVICE_GROUPS.includes(group)) {
    const what = group ? `${kind}.${group}` : kind
    sink.warn(src, [...path, 'kind'], 'UNSUPPORTED_BACKEND', `backendRef kind "${what}" is not supported; its requests get 500`,
      'use kind: Service')
    return null
  }
  const namespace = ref.namespace ?? owner.namespace
  const q = `${namespace}/${ref.name}`
  const svc = resolveRef<ServiceSpec>(cat, sink, src, path, { kind: 'Service', namespace, name: ref.name, home: owner.namespace },
    { severity: 'warning', code: 'BACKEND_NOT_FOUND' })
  if (!svc) return null
  if (ref.port !== undefined && ref.port !== svc.spec.port) {
    sink.error(src, [...path, 'port'], 'PORT_MISMATCH', `port ${ref.port} does not match Service "${ref.name}" port ${svc.spec.port}`,
      `use port: ${svc.spec.port}, or leave it out`)
  }
  return q
}

/** Gateway API: when every backendRef of a rule has weight 0, its requests get 500. Legal, but rarely meant. */
export function warnAllWeightsZero(sink: DiagnosticSink, owner: ValidResource, refs: readonly { weight: number }[],
  rulePath: FieldPath): void {
  if (refs.length === 0 || refs.some(b => b.weight > 0)) return
  sink.warn(owner.source, [...rulePath, 'backendRefs'], 'NO_WEIGHT',
    'every backendRef has weight 0, so the rule\'s requests get 500', 'give at least one backendRef a weight above 0')
}
