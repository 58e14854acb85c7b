// The applied config: stored documents, their compiled IR and the config version.
// An apply is all-or-nothing: the merged set must compile without errors or nothing changes.
import { loadTexts, type SourceText } from '../config/index.js'
import { compile } from '../compiler/compile.js'
import type { Diagnostic, MeshIR } from '../ir/index.js'
import { DEFAULT_MESH, NO_AUTHORIZATION, NO_RATE_LIMITS, NO_SECURITY } from '../ir/index.js'
import type { StoredResource } from './store/types.js'

export interface ApplyResult {
  readonly ok: boolean
  readonly errors: readonly Diagnostic[]
  readonly warnings: readonly Diagnostic[]
  readonly changes: readonly { key: string; action: 'created' | 'configured' | 'unchanged' | 'deleted' }[]
}

export const EMPTY_IR: MeshIR = {
  mesh: DEFAULT_MESH, services: [], workloads: [], gateways: [], authorization: NO_AUTHORIZATION, rateLimits: NO_RATE_LIMITS, security: NO_SECURITY,
}

export class ConfigState {
  private resources = new Map<string, StoredResource>()
  ir: MeshIR = EMPTY_IR
  warnings: readonly Diagnostic[] = []

  list(): StoredResource[] { return [...this.resources.values()].sort((a, b) => cmpKey(a.key, b.key)) }

  /** Replaces the whole config with what was stored (start-up); invalid stored config is reported, not loaded. */
  restore(stored: readonly StoredResource[]): ApplyResult {
    return this.commitIfValid(new Map(stored.map(r => [r.key, r])), [])
  }

  /** Start-up: as restore, but stored documents that no longer compile (a newer Trellis may check
   *  more) are kept, not served: nothing goes live until they are fixed or deleted, and the next
   *  save writes them back instead of replacing the user's config with an empty one. */
  restoreAtStart(stored: readonly StoredResource[]): ApplyResult {
    const result = this.restore(stored)
    if (!result.ok) this.resources = new Map(stored.map(r => [r.key, r]))
    return result
  }

  apply(sources: readonly SourceText[], mode: 'apply' | 'delete' | 'replace'): ApplyResult {
    const loaded = loadTexts(sources)
    const loadErrors = loaded.diagnostics.filter(d => d.severity === 'error')
    if (loadErrors.length) return { ok: false, errors: loadErrors, warnings: [], changes: [] }
    const next = mode === 'replace' ? new Map<string, StoredResource>() : new Map(this.resources)
    const changes: { key: string; action: 'created' | 'configured' | 'unchanged' | 'deleted' }[] = []
    const given = new Set<string>()
    for (const r of loaded.resources) {
      let key = `${r.kind}/${r.qualifiedName}`
      // A name given twice in one apply is an error, as in validate: keep both so the compiler
      // reports the second (after the first, which sorts before it) and the apply is refused.
      if (given.has(key) && mode !== 'delete') key = `${key}\u0000${given.size}`
      given.add(key)
      if (mode === 'delete') {
        if (next.delete(key)) changes.push({ key, action: 'deleted' })
        continue
      }
      const stored: StoredResource = { key, file: r.file, dir: r.dir, line: r.line, text: r.text }
      const before = this.resources.get(key)
      changes.push({ key, action: !before ? 'created' : before.text === r.text ? 'unchanged' : 'configured' })
      next.set(key, stored)
    }
    if (mode === 'replace') {
      for (const key of this.resources.keys()) if (!next.has(key)) changes.push({ key, action: 'deleted' })
    }
    return this.commitIfValid(next, changes)
  }

  private commitIfValid(next: Map<string, StoredResource>, changes: ApplyResult['changes']): ApplyResult {
    const all = [...next.values()].sort((a, b) => cmpKey(a.key, b.key))
    const loaded = loadTexts(all.map(r => ({ file: r.file, dir: r.dir, text: r.text, lineOffset: r.line - 1 })))
    const { ir, diagnostics } = compile(loaded.resources)
    const every = [...loaded.diagnostics, ...diagnostics]
    const errors = every.filter(d => d.severity === 'error')
    const warnings = every.filter(d => d.severity === 'warning')
    if (errors.length) return { ok: false, errors, warnings, changes: [] }
    this.resources = next
    this.ir = ir
    this.warnings = warnings
    return { ok: true, errors: [], warnings, changes }
  }
}

function cmpKey(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0 }
