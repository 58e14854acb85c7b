// The subset reader against yaml itself: whenever it answers, values (with key order), content
// starts and document ends must be exactly yaml's; on anything yaml rejects it must answer null.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isCollection, parseAllDocuments, visit } from 'yaml'
import { parseSubset } from './index.js'

type Doc = { value: unknown; start: number; end: number }

/** What yaml makes of `text` as loadTexts uses it, or why the text is not a list of mapping documents. */
function reference(text: string): Doc[] | string {
  const out: Doc[] = []
  const docs = parseAllDocuments(text)
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) return `error ${doc.errors[0].code}`
    let complex = false
    visit(doc, { Pair(_, p) { if (isCollection(p.key)) { complex = true; return visit.BREAK } return undefined } })
    if (complex) return 'complex key'
    const value: unknown = doc.toJS({ maxAliasCount: 1000 })
    if (value === null || value === undefined) continue
    if (typeof value !== 'object' || Array.isArray(value)) return 'not a mapping'
    out.push({ value, start: doc.contents!.range![0], end: doc.range[2] })
  }
  return out
}

function keyOrder(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return null
  return Array.isArray(v) ? v.map(keyOrder) : Object.entries(v).map(([k, x]) => [k, keyOrder(x)])
}

/** 'subset' when the fast reader answered (and agreed), 'yaml' when it left the text to yaml. */
function check(text: string): 'subset' | 'yaml' {
  const got = parseSubset(text)
  if (got === null) return 'yaml'
  const want = reference(text)
  assert.ok(typeof want !== 'string', `accepted what yaml rejects (${want as string}): ${JSON.stringify(text)}`)
  assert.deepStrictEqual(got.map(d => ({ ...d })), want, JSON.stringify(text))
  assert.deepStrictEqual(keyOrder(got.map(d => d.value)), keyOrder(want.map(d => d.value)), JSON.stringify(text))
  return 'subset'
}

const ACCEPTED = [
  'a: 1\nb: 2\n',
  '# c\n\na: 1\n# trailing\n\n---\nb: 2\n\n\n',
  'a: 1\n  # indented comment\n---\n---\nb: x # c\n',
  '---\na:\n- 1\n- 2\n\n# end',
  '  a: 1\n  b: 2\n',
  'a: {b: 1}   \n\n',
  'a: 1\n--- # next\nb: [x, "y", \'z\']\n',
  'a:\n  - k: v\n    l: [1, {m: n}]\n  -   k: w\n  -\n    - deep\n  - plain text # c\nb: "q\\"uo\\u00e9\\x41\\\\"\n',
  'n: [null, Null, ~, true, False, 0o17, 0x1F, -0, +12, 007, 1e3, .5, 1.50, .inf, -.Inf, .nan, 1_000, yes]\n',
  "s: ['it''s', a#b, http://x:80/y, -a, --flag, a:b, é]\n",
  '__proto__: 1\ntoString: 2\nk:\n  __proto__: { constructor: 3 }\n',
  'empty:\nmid:\n  x:\n  y: 1\nlist:\n-\n- 1\n',
  'a: 1\nb:\n  - x\n  -\n    c: d\n',
]
const TO_YAML = [
  'a: 1\nb:\n', 'a:\n-\n', 'a: |\n  x\n', 'a: >-\n  x\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', '%YAML 1.2\n---\na: 1\n',
  'a: 1\n...\n', '? a\n: 1\n', '[a]: 1\n', '1: x\n', 'true: x\n', '<<: {a: 1}\n', 'a b: 1\n', 'a:\n\tb: 1\n', 'a: 1\r\nb: 2\r\n',
  'a: b\n  c\n', 'a: [b,\n  c]\n', 'a: "b\n  c"\n', 'a: 1\na: 2\n', 'a: {b: 1, b: 2}\n', '- a\n', 'a\n', '{a: 1}\n', '--- a: 1\n',
  'a: b: c\n', 'a: [b, ]\n', 'a: {b}\n', 'a: "\\q"\n', 'a: - b\n', '- - a\n', 'a:\n - b\n  - c\n', 'a: 1\n b: 2\n',
]

test('plain configs are read exactly as yaml reads them', () => {
  for (const text of ACCEPTED) assert.equal(check(text), 'subset', JSON.stringify(text))
})

test('anything outside the subset or invalid is left to yaml', () => {
  for (const text of TO_YAML) assert.equal(check(text), 'yaml', JSON.stringify(text))
})

// Deterministic mutations of valid texts: whatever the reader accepts must be what yaml reads.
const PIECES = [':', ' ', '-', '#', "'", '"', '[', ']', '{', '}', ',', '\n', '  ', 'a', '1', '.', '~', '!', '&', '*', '|', '>',
  '?', '%', '\\', ': ', '- ', '---', '...', ' #', 'null', '0x1F', '\\x41', '<<', '__proto__']

test('mutated texts: accepted only when equal to yaml', () => {
  let seed = 7
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
  const counts = { subset: 0, yaml: 0 }
  for (let n = 0; n < 3000; n++) {
    let text = ACCEPTED[rnd(ACCEPTED.length)]
    for (let k = 1 + rnd(3); k > 0; k--) {
      const i = rnd(text.length + 1)
      const lines = text.split('\n'), j = rnd(lines.length)
      switch (rnd(5)) {
        case 0: text = text.slice(0, i) + text.slice(i + 1 + rnd(3)); break
        case 1: case 2: text = text.slice(0, i) + PIECES[rnd(PIECES.length)] + text.slice(i); break
        case 3: lines.splice(j, 0, lines[rnd(lines.length)]); text = lines.join('\n'); break
        default: lines[j] = rnd(2) ? ' ' + lines[j] : lines[j].replace(/^ /, ''); text = lines.join('\n')
      }
    }
    counts[check(text)]++
  }
  assert.ok(counts.subset > 300, `the reader should accept a fair share: ${JSON.stringify(counts)}`)
})
