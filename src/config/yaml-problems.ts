// yaml's errors → one diagnostic line each: the field path where one can be named, and what would
// be valid for the problems users meet most (repeated keys, tabs, aliases without an anchor).
import { isAlias, isPair, isScalar, isSeq, visit, type Document } from 'yaml'
import type { FieldPath } from './source.js'

export interface YamlProblem {
  readonly offset: number
  readonly path: FieldPath
  readonly message: string
  readonly hint?: string
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key)
}

/** The field path of the node `target` inside `doc`, or [] when it is not found. */
function pathTo(doc: Document, target: (node: unknown) => boolean): FieldPath {
  let found: FieldPath = []
  visit(doc, (_key, node, ancestors) => {
    if (!target(node)) return undefined
    const path: (string | number)[] = []
    const chain = [...ancestors, node]
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i - 1], child = chain[i]
      if (isPair(child)) path.push(keyText(child.key))
      else if (isSeq(parent)) path.push(parent.items.indexOf(child as never))
    }
    found = path
    return visit.BREAK
  })
  return found
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/\s*at line \d+, column \d+:?\s*$/, '')
}

/** A yaml parse error, worded for the diagnostic line. */
export function parseProblem(doc: Document, e: { code: string; pos: [number, number]; message: string }): YamlProblem {
  const offset = e.pos[0]
  if (e.code === 'DUPLICATE_KEY') {
    let name = ''
    const path = pathTo(doc, n => isPair(n) && isScalar(n.key) && n.key.range?.[0] === offset && (name = keyText(n.key)) !== '')
    if (name) return { offset, path, message: `key "${name}" is given twice`, hint: 'give each key once' }
  }
  if (e.code === 'TAB_AS_INDENT') {
    return { offset, path: [], message: 'tabs are not allowed as indentation', hint: 'indent with spaces' }
  }
  return { offset, path: [], message: firstLine(e.message) }
}

/** An alias whose anchor is not defined before it in its document (yaml throws on toJS). */
export function unresolvedAlias(doc: Document, err: Error, fallback: number): YamlProblem {
  const name = /: (.+)$/.exec(err.message)?.[1]
  if (name === undefined) return { offset: fallback, path: [], message: firstLine(err.message) }
  let offset = fallback
  const path = pathTo(doc, n => isAlias(n) && n.source === name && (offset = n.range?.[0] ?? fallback) >= 0)
  return {
    offset, path, message: `alias *${name} has no anchor before it in this document`,
    hint: `define &${name} earlier in the same document (anchors do not reach across ---)`,
  }
}
