// Texts → documents → LoadedResources (pure: no fs). Multi-document YAML and JSON, with positions.
// Plain YAML takes the fast path (load-subset.ts); anything else, and every syntax error, goes
// through yaml with its positions kept.
import { isCollection, LineCounter, parseAllDocuments, visit, type Document } from 'yaml'
import type { Diagnostic } from '../ir/diagnostic.js'
import { formatPath } from '../compiler/diagnostics.js'
import { loadSubset } from './load-subset.js'
import { makeLocate } from './locate.js'
import { MAX_NESTING_DEPTH, tooDeepAt } from './nesting-depth.js'
import { documentText, isPlainObject, makeResource } from './resource.js'
import type { FieldPath, LoadedResource, SourceText } from './source.js'
import { parseProblem, unresolvedAlias } from './yaml-problems.js'

export interface LoadResult {
  readonly resources: LoadedResource[]
  readonly diagnostics: Diagnostic[]
}


/** Offset of the first key that is a list or mapping (which plain JS objects cannot hold), or null. */
function collectionKeyAt(doc: Document): number | null {
  let found: number | null = null
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        found = pair.key.range?.[0] ?? 0
        return visit.BREAK
      }
      return undefined
    },
  })
  return found
}

/** One text through yaml, with positions kept: any YAML, and syntax errors become diagnostics. */
function loadWithYaml(src: SourceText, out: LoadResult): void {
  const lineOffset = src.lineOffset ?? 0
  const lines = new LineCounter()
  const docs = parseAllDocuments(src.text, { lineCounter: lines, prettyErrors: false })
  const list = Array.isArray(docs) ? docs : []
  for (const doc of list) {
    const diag = (offset: number, code: string, message: string, hint?: string, path: FieldPath = []): void => {
      const { line, col } = lines.linePos(offset)
      out.diagnostics.push({
        severity: 'error', code, file: src.file, line: line + lineOffset, col, path: formatPath(path), resource: '', message,
        ...(hint ? { hint } : {}),
      })
    }
    if (doc.errors.length > 0) {
      // one problem, one line: later errors of a broken document are usually follow-ons of the first
      const p = parseProblem(doc, doc.errors[0])
      diag(p.offset, 'YAML_SYNTAX', p.message, p.hint, p.path)
      continue
    }
    if (doc.contents === null) continue
    const start = doc.contents.range?.[0] ?? doc.range[0]
    const badKey = collectionKeyAt(doc)
    if (badKey !== null) {
      diag(badKey, 'YAML_SYNTAX', 'a mapping key must be a plain value, not a list or mapping')
      continue
    }
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 1000 })
    } catch (err) {
      const p = unresolvedAlias(doc, err as Error, start)
      diag(p.offset, 'YAML_SYNTAX', p.message, p.hint, p.path)
      continue
    }
    if (value === null || value === undefined) continue
    if (!isPlainObject(value)) {
      diag(start, 'NOT_A_RESOURCE', 'a document must be a mapping', 'write apiVersion, kind, metadata and spec')
      continue
    }
    const { line, col } = lines.linePos(start)
    const text = documentText(src, start, doc.range[2])
    const locate = makeLocate(doc.contents, start, lines, lineOffset)
    out.resources.push(makeResource(src, value, text, { line: line + lineOffset, col }, locate))
  }
}

/** The source without a leading byte order mark, which editors do not show as a column. */
function withoutBom(src: SourceText): SourceText {
  return src.text.charCodeAt(0) === 0xfeff ? { ...src, text: src.text.slice(1) } : src
}

/** A text nested too deeply for the readers is refused whole, with where it gets too deep. */
function refuseTooDeep(src: SourceText, out: LoadResult): boolean {
  const at = tooDeepAt(src.text)
  if (at === null) return false
  const before = src.text.slice(0, at)
  const line = before.split('\n').length + (src.lineOffset ?? 0), col = at - before.lastIndexOf('\n')
  out.diagnostics.push({
    severity: 'error', code: 'YAML_TOO_DEEP', file: src.file, line, col, path: '', resource: '',
    message: `lists and mappings nest more than ${MAX_NESTING_DEPTH} levels deep here`, hint: 'no Trellis resource nests this deeply; check the document for a runaway [ or {',
  })
  return true
}

/** Parses every source; syntax errors become diagnostics, empty documents are skipped. */
export function loadTexts(sources: readonly SourceText[]): LoadResult {
  const out: LoadResult = { resources: [], diagnostics: [] }
  for (const given of sources) {
    const src = withoutBom(given)
    if (refuseTooDeep(src, out)) continue
    const fast = loadSubset(src)
    if (!fast) loadWithYaml(src, out)
    else for (const r of fast) out.resources.push(r)
  }
  return out
}

/** loadTexts with every text through yaml: the reference the fast path must equal (tests). */
export function loadTextsWithYaml(sources: readonly SourceText[]): LoadResult {
  const out: LoadResult = { resources: [], diagnostics: [] }
  for (const given of sources) {
    const src = withoutBom(given)
    if (!refuseTooDeep(src, out)) loadWithYaml(src, out)
  }
  return out
}
