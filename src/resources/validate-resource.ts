// One loaded document → a validated resource (apiVersion, kind, metadata, spec) or its problems.
import type { LoadedResource } from '../config/source.js'
import { closest } from './closest.js'
import { metadataSchema, type Metadata } from './common.js'
import { kindDef, knownKinds } from './registry.js'
import { INVALID, Issues, show, type Issue } from './schema.js'

const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec']

export interface ValidResource<Spec = unknown> {
  readonly source: LoadedResource
  readonly kind: string
  readonly name: string
  readonly namespace: string
  readonly qualifiedName: string        // 'namespace/name'
  readonly metadata: Metadata
  readonly spec: Spec
}

export interface Validation {
  readonly resource: ValidResource | null
  readonly issues: Issue[]
  /** The kind and metadata are valid, so the name exists (even when the spec is not). */
  readonly named: boolean
}

export function validateResource(src: LoadedResource): Validation {
  const issues = new Issues()
  const value = src.value
  const kind = value.kind
  const def = typeof kind === 'string' ? kindDef(kind) : undefined
  if (kind === undefined || kind === null) {
    issues.error(['kind'], 'MISSING_FIELD', 'missing required field "kind"', `known kinds: ${knownKinds().join(', ')}`, 'key')
  } else if (!def) {
    const near = typeof kind === 'string' ? closest(kind, knownKinds()) : null
    issues.error(['kind'], 'UNKNOWN_KIND', `unknown kind ${show(kind)}`,
      `known kinds: ${knownKinds().join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`)
  }
  // without a known kind, nothing else can be checked: report just that
  if (!def) return { resource: null, issues: issues.list, named: false }
  for (const key of Object.keys(value)) {
    if (TOP_FIELDS.includes(key)) continue
    const near = closest(key, TOP_FIELDS)
    issues.error([key], 'UNKNOWN_FIELD', `unknown field "${key}"`,
      `valid fields: ${TOP_FIELDS.join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`, 'key')
  }
  if (value.apiVersion !== def.apiVersion) {
    if (value.apiVersion === undefined || value.apiVersion === null) {
      issues.error(['apiVersion'], 'MISSING_FIELD', 'missing required field "apiVersion"',
        `use apiVersion: ${def.apiVersion}`, 'key')
    } else {
      issues.error(['apiVersion'], 'INVALID_VALUE', `${show(value.apiVersion)} is not valid for kind ${def.kind}`,
        `use apiVersion: ${def.apiVersion}`)
    }
  }
  let metadata: Metadata | typeof INVALID = INVALID
  if (value.metadata === undefined || value.metadata === null) {
    issues.error(['metadata'], 'MISSING_FIELD', 'missing required field "metadata"', 'give at least metadata.name', 'key')
  } else {
    metadata = metadataSchema.parse(value.metadata, ['metadata'], issues)
  }
  const named = metadata !== INVALID

  let spec: unknown = INVALID
  const rawSpec = value.spec ?? (def.specOptional ? {} : undefined)
  if (rawSpec === undefined) {
    issues.error(['spec'], 'MISSING_FIELD', 'missing required field "spec"', `expected ${def.spec.expected}`, 'key')
  } else {
    spec = def.spec.parse(rawSpec, ['spec'], issues)
  }
  if (issues.errorCount > 0 || metadata === INVALID || spec === INVALID) {
    return { resource: null, issues: issues.list, named }
  }
  return {
    resource: {
      source: src,
      kind: def.kind,
      name: metadata.name,
      namespace: metadata.namespace,
      qualifiedName: `${metadata.namespace}/${metadata.name}`,
      metadata,
      spec,
    },
    issues: issues.list,
    named,
  }
}
