// Collecting diagnostics with positions, and the one order they are printed in.
import type { FieldPath, LoadedResource } from '../config/source.js'
import type { Diagnostic } from '../ir/diagnostic.js'
import type { Issue } from '../resources/schema.js'

/** 'spec.rules[0].backendRefs[1].name' */
export function formatPath(path: FieldPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** 'HTTPRoute default/orders-canary' */
export function resourceLabel(r: LoadedResource): string {
  return `${r.kind || 'resource'} ${r.qualifiedName}`
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Sorted by file, line, col (stable otherwise), exact repeats removed. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const sorted = [...list].sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.col - b.col)
  const seen = new Set<string>()
  return sorted.filter(d => {
    const key = `${d.file}\0${d.line}\0${d.col}\0${d.path}\0${d.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export class DiagnosticSink {
  readonly list: Diagnostic[] = []
  private errors = 0
  private readonly rejected = new Set<LoadedResource>()

  /** Has this resource had an error (so it is left out of the IR)? */
  hasErrors(r: LoadedResource): boolean { return this.rejected.has(r) }

  get errorCount(): number { return this.errors }

  add(severity: 'error' | 'warning', r: LoadedResource, path: FieldPath, code: string, message: string,
    hint?: string, at: 'key' | 'value' = 'value'): void {
    const { line, col } = r.locate(path, at)
    if (severity === 'error') {
      this.errors++
      this.rejected.add(r)
    }
    this.list.push({
      severity, code, file: r.file, line, col, path: formatPath(path), resource: resourceLabel(r), message,
      ...(hint ? { hint } : {}),
    })
  }

  error(r: LoadedResource, path: FieldPath, code: string, message: string, hint?: string, at: 'key' | 'value' = 'value'): void {
    this.add('error', r, path, code, message, hint, at)
  }

  warn(r: LoadedResource, path: FieldPath, code: string, message: string, hint?: string, at: 'key' | 'value' = 'value'): void {
    this.add('warning', r, path, code, message, hint, at)
  }

  issue(r: LoadedResource, i: Issue): void {
    this.add(i.severity, r, i.path, i.code, i.message, i.hint, i.at)
  }

  push(d: Diagnostic): void {
    if (d.severity === 'error') this.errors++
    this.list.push(d)
  }
}
