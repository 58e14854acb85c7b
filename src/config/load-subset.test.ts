// The fast path must hand the compiler exactly what yaml's path does, positions included: every
// config in the repository, loaded both ways, compared field by field and `locate` by `locate`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FieldPath, LoadedResource } from './source.js'
import { loadSubset } from './load-subset.js'
import { loadTexts, loadTextsWithYaml } from './load-texts.js'

const repo = fileURLToPath(new URL('../../', import.meta.url))

function configs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) configs(path, out)
    else if (/\.ya?ml$/.test(name) && !name.endsWith('.out.yaml')) out.push(path)
  }
  return out
}

/** Every path in `value`, and one missing child below each mapping. */
function paths(value: unknown, prefix: FieldPath = [], out: FieldPath[] = []): FieldPath[] {
  out.push(prefix)
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out))
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out)
    out.push([...prefix, 'no-such-field', 'below'])
  }
  return out
}

function assertSame(fast: LoadedResource[], full: LoadedResource[], label: string): void {
  assert.equal(fast.length, full.length, label)
  fast.forEach((r, i) => {
    const { locate: _a, ...a } = r
    const { locate: _b, ...b } = full[i]
    assert.deepStrictEqual(a, b, label)
    for (const path of paths(b.value)) {
      for (const which of ['key', 'value'] as const) {
        assert.deepEqual(r.locate(path, which), full[i].locate(path, which), `${label} ${path.join('.')} ${which}`)
      }
    }
  })
}

const files = [...configs(join(repo, 'examples')), ...configs(join(repo, 'src/compiler/testdata'))]

test('every config in the repository loads the same through the fast path as through yaml', () => {
  let fast = 0
  for (const file of files) {
    const src = { file, dir: '/d', text: readFileSync(file, 'utf8') }
    if (loadSubset(src)) fast++
    assertSame(loadTexts([src]).resources, loadTextsWithYaml([src]).resources, file)
    // as the control plane re-loads stored documents: each text alone, lines offset
    for (const r of loadTextsWithYaml([src]).resources) {
      const again = { file, dir: '/d', text: r.text, lineOffset: r.line - 1 }
      assertSame(loadTexts([again]).resources, loadTextsWithYaml([again]).resources, `${file}:${r.line}`)
    }
  }
  assert.ok(fast >= files.length - 2, `${fast} of ${files.length} configs took the fast path`)
})

test('positions after many documents and a shifted first line', () => {
  const doc = (i: number) => `# ${i}\napiVersion: v1\nkind: Service\nmetadata: { name: s${i} }\nspec:\n  ports:\n    - port: ${i}\n`
  const text = '\n\n' + Array.from({ length: 40 }, (_, i) => doc(i)).join('---\n')
  const src = { file: 'many.yaml', dir: '/d', text, lineOffset: 3 }
  assert.ok(loadSubset(src))
  assertSame(loadTexts([src]).resources, loadTextsWithYaml([src]).resources, 'many.yaml')
})
