// Kinds add themselves here (one file per kind), so nothing needs a switch over kinds.
import type { Presence, Schema } from './schema.js'

export const GATEWAY_V1 = 'gateway.networking.k8s.io/v1'
export const GATEWAY_V1ALPHA2 = 'gateway.networking.k8s.io/v1alpha2'
export const TRELLIS_V1ALPHA1 = 'trellis.dev/v1alpha1'

export interface KindDef {
  readonly kind: string
  readonly apiVersion: string
  readonly spec: Schema<unknown, Presence>
  /** When true, a document without `spec` is read as `spec: {}` (defaults filled in). */
  readonly specOptional?: boolean
}

const kinds = new Map<string, KindDef>()

export function registerKind(def: KindDef): void {
  if (kinds.has(def.kind)) throw new Error(`kind ${def.kind} registered twice`)
  kinds.set(def.kind, def)
}

export function kindDef(kind: string): KindDef | undefined {
  return kinds.get(kind)
}

/** Every registered kind, sorted by name. */
export function knownKinds(): string[] {
  return [...kinds.keys()].sort()
}
