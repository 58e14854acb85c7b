// Texts → documents → LoadedResources (pure: no fs). Multi-document YAML and JSON, with positions.
import { isCollection, LineCounter, parseAllDocuments, visit, type Document } from 'yaml'
import type { Diagnostic } from '../ir/diagnostic.js'
import { makeLocate } from './locate.js'
import type { LoadedResource, SourceText } from './source.js'

export interface LoadResult {
  readonly resources: LoadedResource[]
  readonly diagnostics: Diagnostic[]
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function syntaxMessage(message: string): string {
  const first = message.split('\n')[0]
  return first.replace(/\s*at line \d+, column \d+:?\s*$/, '')
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
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

function loadText(src: SourceText, out: LoadResult): void {
  const lineOffset = src.lineOffset ?? 0
  const lines = new LineCounter()
  const docs = parseAllDocuments(src.text, { lineCounter: lines, prettyErrors: false })
  const list = Array.isArray(docs) ? docs : []
  for (const doc of list) {
    const diag = (offset: number, code: string, message: string, hint?: string): void => {
      const { line, col } = lines.linePos(offset)
      out.diagnostics.push({
        severity: 'error', code, file: src.file, line: line + lineOffset, col, path: '', resource: '', message,
        ...(hint ? { hint } : {}),
      })
    }
    if (doc.errors.length > 0) {
      // one problem, one line: later errors of a broken document are usually follow-ons of the first
      const e = doc.errors[0]
      diag(e.pos[0], 'YAML_SYNTAX', syntaxMessage(e.message))
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
      diag(start, 'YAML_SYNTAX', (err as Error).message)
      continue
    }
    if (value === null || value === undefined) continue
    if (!isPlainObject(value)) {
      diag(start, 'NOT_A_RESOURCE', 'a document must be a mapping', 'write apiVersion, kind, metadata and spec')
      continue
    }
    const lineStart = src.text.lastIndexOf('\n', start - 1) + 1
    let text = src.text.slice(lineStart, doc.range[2])
    if (!text.endsWith('\n')) text += '\n'
    const pos = lines.linePos(start)
    const meta = isPlainObject(value.metadata) ? value.metadata : {}
    const namespace = str(meta.namespace) || 'default'
    const name = str(meta.name)
    out.resources.push({
      apiVersion: str(value.apiVersion),
      kind: str(value.kind),
      namespace,
      name,
      qualifiedName: `${namespace}/${name}`,
      file: src.file,
      dir: src.dir,
      line: pos.line + lineOffset,
      col: pos.col,
      text,
      value,
      locate: makeLocate(doc.contents, start, lines, lineOffset),
    })
  }
}

/** Parses every source; syntax errors become diagnostics, empty documents are skipped. */
export function loadTexts(sources: readonly SourceText[]): LoadResult {
  const out: LoadResult = { resources: [], diagnostics: [] }
  for (const src of sources) loadText(src, out)
  return out
}
