// Every validated resource by kind and name, plus every name that exists (valid or not), so that
// a reference to a resource with its own errors is not reported a second time.
import type { FieldPath, LoadedResource } from '../config/source.js'
import { validateResource, type ValidResource } from '../resources/index.js'
import type { DiagnosticSink } from './diagnostics.js'

export interface Catalog {
  /** Valid resources of one kind, sorted by qualified name (duplicates left out). */
  list<Spec>(kind: string): ValidResource<Spec>[]
  get<Spec>(kind: string, qualifiedName: string): ValidResource<Spec> | undefined
  /** The name was defined, even if that resource is invalid. */
  exists(kind: string, qualifiedName: string): boolean
  /** Defined names of `kind` for messages: plain names in `namespace`, qualified ones elsewhere. */
  known(kind: string, namespace: string): string[]
}

function byName<T extends { qualifiedName: string }>(a: T, b: T): number {
  return a.qualifiedName < b.qualifiedName ? -1 : a.qualifiedName > b.qualifiedName ? 1 : 0
}

export function buildCatalog(resources: readonly LoadedResource[], sink: DiagnosticSink): Catalog {
  const valid = new Map<string, Map<string, ValidResource>>()
  const named = new Map<string, Map<string, LoadedResource>>()
  let mesh: LoadedResource | null = null
  for (const src of resources) {
    const v = validateResource(src)
    for (const issue of v.issues) sink.issue(src, issue)
    if (!v.named) continue
    const kind = src.kind
    const names = named.get(kind) ?? new Map<string, LoadedResource>()
    named.set(kind, names)
    const first = names.get(src.qualifiedName)
    if (first) {
      sink.error(src, ['metadata', 'name'], 'DUPLICATE_NAME',
        `${kind} "${src.qualifiedName}" is already defined at ${first.file}:${first.line}:${first.col}`,
        'give each resource of a kind its own name within a namespace')
      continue
    }
    if (kind === 'Mesh' && mesh) {
      sink.error(src, ['metadata', 'name'], 'DUPLICATE_MESH',
        `only one Mesh is allowed; "${mesh.qualifiedName}" is defined at ${mesh.file}:${mesh.line}:${mesh.col}`,
        'merge the settings into one Mesh')
      continue
    }
    if (kind === 'Mesh') mesh = src
    names.set(src.qualifiedName, src)
    if (!v.resource) continue
    const m = valid.get(kind) ?? new Map<string, ValidResource>()
    valid.set(kind, m)
    m.set(v.resource.qualifiedName, v.resource)
  }
  return {
    list: <Spec>(kind: string) => [...(valid.get(kind)?.values() ?? [])].sort(byName) as ValidResource<Spec>[],
    get: <Spec>(kind: string, q: string) => valid.get(kind)?.get(q) as ValidResource<Spec> | undefined,
    exists: (kind, q) => named.get(kind)?.has(q) ?? false,
    known: (kind, namespace) => [...(named.get(kind)?.values() ?? [])]
      .map(r => (r.namespace === namespace ? r.name : r.qualifiedName))
      .sort(),
  }
}

/** `Service "orders-v3" not found` + `known: orders-v1, orders-v2` */
export function notFound(cat: Catalog, kind: string, namespace: string, name: string, home: string): { message: string; hint: string } {
  const shown = namespace === home ? name : `${namespace}/${name}`
  const known = cat.known(kind, home)
  return {
    message: `${kind} "${shown}" not found`,
    hint: known.length > 0 ? `known: ${known.join(', ')}` : `no ${kind} is defined`,
  }
}

/**
 * The valid resource `namespace/name` of `kind`, referenced from `from` at `path` (its `name`).
 * A name defined nowhere is reported there (an error, or a warning where the config stays usable);
 * a defined but invalid resource was reported already, so it only yields undefined.
 */
export function resolveRef<Spec>(cat: Catalog, sink: DiagnosticSink, from: LoadedResource, path: FieldPath,
    ref: { kind: string; namespace: string; name: string; home: string },
    report: { severity: 'error' | 'warning'; code: string } = { severity: 'error', code: 'REF_NOT_FOUND' }): ValidResource<Spec> | undefined {
  const q = `${ref.namespace}/${ref.name}`
  const found = cat.get<Spec>(ref.kind, q)
  if (found || cat.exists(ref.kind, q)) return found
  const nf = notFound(cat, ref.kind, ref.namespace, ref.name, ref.home)
  if (report.severity === 'error') sink.error(from, [...path, 'name'], report.code, nf.message, nf.hint)
  else sink.warn(from, [...path, 'name'], report.code, nf.message, nf.hint)
  return undefined
}
