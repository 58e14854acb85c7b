// Golden files: testdata/<case>.in.yaml → <case>.out.yaml (IR + rendered diagnostics).
// UPDATE_GOLDEN=1 rewrites outputs and deletes outputs that no input produces.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { compileSources } from './compile.js'

const dir = fileURLToPath(new URL('../../src/compiler/testdata/', import.meta.url))
const update = process.env.UPDATE_GOLDEN === '1'
const IN = '.in.yaml', OUT = '.out.yaml'

/** What a golden output holds for one input: rendered diagnostics, then the IR. */
export function renderGolden(file: string, text: string): string {
  const r = compileSources([{ file, dir: '/testdata', text }])
  const diagnostics = r.diagnostics.map(d => `${d.severity} ${d.code} ${formatDiagnostic(d)}`)
  return `# generated from ${file}; rewrite with UPDATE_GOLDEN=1\n` +
    stringify({ diagnostics, ir: r.ir }, { aliasDuplicateObjects: false, lineWidth: 0 })
}

const inputs = readdirSync(dir).filter(f => f.endsWith(IN)).sort()

for (const input of inputs) {
  const name = input.slice(0, -IN.length)
  test(`golden ${name}`, () => {
    const got = renderGolden(`testdata/${input}`, readFileSync(join(dir, input), 'utf8'))
    const outPath = join(dir, name + OUT)
    if (update) {
      writeFileSync(outPath, got)
      return
    }
    assert.ok(existsSync(outPath), `${name}${OUT} is missing; run with UPDATE_GOLDEN=1`)
    assert.equal(got, readFileSync(outPath, 'utf8'))
  })
}

test('every golden output has an input', () => {
  const stale = readdirSync(dir).filter(f => f.endsWith(OUT) && !inputs.includes(f.slice(0, -OUT.length) + IN))
  if (update) {
    for (const f of stale) unlinkSync(join(dir, f))
    return
  }
  assert.deepEqual(stale, [])
})
