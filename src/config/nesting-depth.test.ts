// Texts nested too deeply for the readers are refused with a diagnostic at the place, never a stack
// overflow; ordinary configs with many list items, or brackets inside strings, load as before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadTexts, loadTextsWithYaml } from './load-texts.js'
import { MAX_NESTING_DEPTH } from './nesting-depth.js'

const head = 'apiVersion: trellis.dev/v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n'
const manyPorts = head + Array.from({ length: 300 }, (_, i) => `  - port: ${1000 + i}\n    name: "p[${i}]"\n`).join('')

const cases = [
  { name: 'flow lists 100000 deep', text: 'a: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n', want: { line: 1, col: 4 + MAX_NESTING_DEPTH - 1 } },
  { name: 'flow mappings 100000 deep', text: 'a: ' + '{a: '.repeat(100_000) + '1' + '}'.repeat(100_000) + '\n', want: { line: 1 } },
  { name: 'compact sequences 100000 deep', text: 'a:\n' + '- '.repeat(100_000) + 'x\n', want: { line: 2 } },
  { name: 'block mappings 1000 deep', text: Array.from({ length: 1000 }, (_, i) => ' '.repeat(i) + 'b:').join('\n') + ' x\n', want: { line: MAX_NESTING_DEPTH + 1 } },
  { name: 'just deep enough', text: 'a: ' + '['.repeat(MAX_NESTING_DEPTH - 1) + ']'.repeat(MAX_NESTING_DEPTH - 1) + '\n', want: null },
  { name: 'many list items', text: manyPorts, want: null },
  { name: 'brackets inside a string', text: head + `  - name: "${'['.repeat(1000)}"\n    port: 80\n`, want: null },
]

for (const load of [loadTexts, loadTextsWithYaml]) {
  for (const c of cases) {
    test(`${load.name}: ${c.name}`, () => {
      const got = load([{ file: 'deep.yaml', dir: '/', text: c.text }])
      const deep = got.diagnostics.filter(d => d.code === 'YAML_TOO_DEEP')
      if (!c.want) return assert.deepEqual(deep, [])
      assert.equal(deep.length, 1)
      assert.equal(got.diagnostics.length, 1)
      assert.equal(got.resources.length, 0)
      assert.equal(deep[0].line, c.want.line)
      if (c.want.col !== undefined) assert.equal(deep[0].col, c.want.col)
      assert.match(deep[0].message, new RegExp(`more than ${MAX_NESTING_DEPTH} levels`))
    })
  }
}
