import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileSources } from '../compiler/compile.js'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { ConfigState } from './config-state.js'

const svc = (name: string, port: number) =>
  `apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: ${name} }\nspec: { port: ${port} }\n`
const source = (text: string) => ({ file: 'f.yaml', dir: '/d', text })

test('apply: a name given twice in one apply is refused with the line validate prints', () => {
  const state = new ConfigState()
  assert.ok(state.apply([source(svc('orders', 80))], 'apply').ok)
  const text = `${svc('dupe', 80)}---\n${svc('dupe', 81)}`
  const result = state.apply([source(text)], 'apply')
  const validate = compileSources([source(text)]).diagnostics.filter(d => d.severity === 'error').map(formatDiagnostic)
  assert.equal(result.ok, false)
  assert.deepEqual(result.errors.map(formatDiagnostic), validate)
  assert.deepEqual(validate, [
    'f.yaml:8:19: metadata.name: Service "default/dupe" is already defined at f.yaml:1:1; give each resource of a kind its own name within a namespace',
  ])
  assert.deepEqual(state.list().map(r => r.key), ['Service/default/orders'])
})

test('apply: a name applied again in a later apply replaces the stored one', () => {
  const state = new ConfigState()
  assert.ok(state.apply([source(svc('orders', 80))], 'apply').ok)
  const result = state.apply([source(svc('orders', 81))], 'apply')
  assert.deepEqual(result.changes, [{ key: 'Service/default/orders', action: 'configured' }])
  assert.equal(state.ir.services[0].port, 81)
})
