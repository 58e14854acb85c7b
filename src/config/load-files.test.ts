import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAndCompile, loadPaths } from './load-files.js'

let root = ''
const svc = (name: string) =>
  `apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: ${name} }\nspec: { port: 80 }\n`

before(() => {
  root = mkdtempSync(join(tmpdir(), 'trellis-load-'))
  mkdirSync(join(root, 'cfg', 'sub'), { recursive: true })
  mkdirSync(join(root, 'cfg', '.hidden'))
  writeFileSync(join(root, 'cfg', 'b.yaml'), svc('b'))
  writeFileSync(join(root, 'cfg', 'a.yml'), svc('a'))
  writeFileSync(join(root, 'cfg', 'sub', 'c.json'), JSON.stringify({
    apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name: 'c' }, spec: { port: 80 },
  }))
  writeFileSync(join(root, 'cfg', 'notes.txt'), 'not config')
  writeFileSync(join(root, 'cfg', '.secret.yaml'), svc('hidden'))
  writeFileSync(join(root, 'cfg', '.hidden', 'd.yaml'), svc('d'))
})
after(() => rmSync(root, { recursive: true, force: true }))

test('a folder loads every yaml/yml/json file below it in path order, skipping hidden ones', () => {
  const r = loadPaths([join(root, 'cfg')])
  assert.deepEqual(r.diagnostics, [])
  assert.deepEqual(r.resources.map(x => x.name), ['a', 'b', 'c'])
  assert.equal(r.resources[2].file, join(root, 'cfg', 'sub', 'c.json'))
  assert.equal(r.resources[2].dir, join(root, 'cfg', 'sub'))
})

test('FILE is the folder as given joined with the path below it', () => {
  const cwd = process.cwd()
  process.chdir(root)
  try {
    const r = loadPaths(['cfg/'])
    assert.deepEqual(r.resources.map(x => x.file), ['cfg/a.yml', 'cfg/b.yaml', 'cfg/sub/c.json'])
    assert.equal(r.resources[0].dir, join(root, 'cfg'))
  } finally {
    process.chdir(cwd)
  }
})

test('a missing path is a diagnostic, not a throw', () => {
  const r = loadAndCompile([join(root, 'nope.yaml'), join(root, 'cfg', 'a.yml')])
  assert.equal(r.diagnostics.length, 1)
  assert.equal(r.diagnostics[0].code, 'FILE_NOT_FOUND')
  assert.equal(r.diagnostics[0].file, join(root, 'nope.yaml'))
  assert.deepEqual(r.ir.services.map(s => s.name), ['default/a'])
})
