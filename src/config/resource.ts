// One parsed document → LoadedResource: what both the fast path and yaml's path build.
import type { LoadedResource, Position, SourceText } from './source.js'

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The document's own text: from the line where its content starts to its end (re-parsable alone). */
export function documentText(src: SourceText, start: number, end: number): string {
  const text = src.text.slice(src.text.lastIndexOf('\n', start - 1) + 1, end)
  return text.endsWith('\n') ? text : text + '\n'
}

/** `pos` is where the content starts, lineOffset already added. */
export function makeResource(src: SourceText, value: Record<string, unknown>, text: string, pos: Position,
  locate: LoadedResource['locate']): LoadedResource {
  const meta = isPlainObject(value.metadata) ? value.metadata : {}
  const namespace = str(meta.namespace) || 'default'
  const name = str(meta.name)
  return {
    apiVersion: str(value.apiVersion),
    kind: str(value.kind),
    namespace,
    name,
    qualifiedName: `${namespace}/${name}`,
    file: src.file,
    dir: src.dir,
    line: pos.line,
    col: pos.col,
    text,
    value,
    locate,
  }
}
