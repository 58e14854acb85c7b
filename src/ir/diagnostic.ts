// Problems found while loading and compiling config. Never thrown for user mistakes.
export interface Diagnostic {
  readonly severity: 'error' | 'warning'
  readonly code: string          // e.g. 'UNKNOWN_FIELD', 'REF_NOT_FOUND', 'NOT_ENFORCED'
  readonly file: string
  readonly line: number
  readonly col: number
  readonly path: string          // 'spec.rules[0].backendRefs[1].name'
  readonly resource: string      // 'HTTPRoute default/orders-canary'
  readonly message: string
  readonly hint?: string         // what would be valid
}

/** `FILE:LINE:COL: path: message; hint` — the one-line form the CLI prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`
  const what = d.hint ? `${d.message}; ${d.hint}` : d.message
  return d.path ? `${where}: ${d.path}: ${what}` : `${where}: ${what}`
}
