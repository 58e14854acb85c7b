// Fields that are accepted and validated but not yet acted on by the data plane.
// Remove an entry when its feature lands; `compile` names every one used in one NOT_ENFORCED warning.
import type { Diagnostic } from '../ir/diagnostic.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { formatPath } from './diagnostics.js'

/** `path` is a field path pattern: `[*]` stands for every list index. `spec` alone = the whole kind. */
export interface NotEnforced { readonly kind: string; readonly path: string }

const ROUTE_FILTERS = (kind: string, filter: string): NotEnforced[] => [
  { kind, path: `spec.rules[*].filters[*].${filter}` },
  { kind, path: `spec.rules[*].backendRefs[*].filters[*].${filter}` },
]

export const NOT_ENFORCED: readonly NotEnforced[] = [
  ...ROUTE_FILTERS('HTTPRoute', 'extensionRef'),
  ...ROUTE_FILTERS('GRPCRoute', 'extensionRef'),
  { kind: 'Gateway', path: 'spec.listeners[*].tls.options' },
  { kind: 'Gateway', path: 'spec.listeners[*].allowedRoutes.namespaces.selector' },
  { kind: 'Gateway', path: 'spec.addresses' },
  { kind: 'Gateway', path: 'spec.infrastructure' },
]

type Seg = string | '*'

function parsePattern(pattern: string): Seg[] {
  return pattern.split('.').flatMap(part => {
    const [name, ...rest] = part.split('[*]')
    return [name, ...rest.map(() => '*' as const)]
  })
}

/** Concrete paths in `value` that `pattern` matches (present and not null). */
function usedPaths(value: unknown, pattern: readonly Seg[], prefix: (string | number)[] = []): (string | number)[][] {
  if (pattern.length === 0) return [prefix]
  const [head, ...rest] = pattern
  if (head === '*') {
    if (!Array.isArray(value)) return []
    return value.flatMap((v, i) => usedPaths(v, rest, [...prefix, i]))
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return []
  const child = (value as Record<string, unknown>)[head]
  if (child === undefined || child === null) return []
  return usedPaths(child, rest, [...prefix, head])
}

interface Use { file: string; line: number; col: number; text: string }

/** One warning naming every not-enforced field used by valid resources, or null. */
export function notEnforcedWarning(resources: readonly ValidResource[]): Diagnostic | null {
  const uses: Use[] = []
  for (const r of resources) {
    for (const entry of NOT_ENFORCED) {
      if (entry.kind !== r.kind) continue
      for (const path of usedPaths(r.source.value, parsePattern(entry.path))) {
        const { line, col } = r.source.locate(path, 'key')
        uses.push({ file: r.source.file, line, col, text: `${r.kind} ${r.qualifiedName} ${formatPath(path)}` })
      }
    }
  }
  if (uses.length === 0) return null
  uses.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col)
  const first = uses[0]
  return {
    severity: 'warning',
    code: 'NOT_ENFORCED',
    file: first.file, line: first.line, col: first.col,
    path: '',
    resource: '',
    message: `accepted but not enforced yet: ${uses.map(u => `${u.text} (${u.file}:${u.line}:${u.col})`).join(', ')}`,
  }
}
