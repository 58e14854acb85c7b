// The fast path of loadTexts: a text within the YAML subset (yaml-subset/) is read without yaml's
// nodes and positions, which for a large config is most of the load time and garbage. Positions are
// only needed for a diagnostic; a document's `locate` then re-parses that document alone with yaml.
import type { LoadedResource, SourceText } from './source.js'
import { reparseLocate } from './locate.js'
import { documentText, makeResource } from './resource.js'
import { parseSubset } from './yaml-subset/index.js'

/** The text's resources, or null when it is not within the subset (yaml must parse it). */
export function loadSubset(src: SourceText): LoadedResource[] | null {
  const docs = parseSubset(src.text)
  if (!docs) return null
  const t = src.text
  const out: LoadedResource[] = []
  let at = 0, line = 1 // the line of offset `at`, counted forward: documents come in order
  for (const d of docs) {
    for (let nl = t.indexOf('\n', at); nl >= 0 && nl < d.start; nl = t.indexOf('\n', nl + 1)) line++
    at = d.start
    const pos = { line: line + (src.lineOffset ?? 0), col: d.start - t.lastIndexOf('\n', d.start - 1) }
    const text = documentText(src, d.start, d.end)
    out.push(makeResource(src, d.value, text, pos, reparseLocate(text, pos.line - 1)))
  }
  return out
}
