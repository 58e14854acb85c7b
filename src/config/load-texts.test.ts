import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { loadTexts } from './load-texts.js'

const multi = `# leading comment
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: orders, namespace: shop }
spec:
  port: 80
  selector:
    app: orders
---
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata:
  name: orders-v1
spec:
  command: [node, orders.js]
  upstreams:
    - { service: payments, localPort: 7000 }
`

test('loads every non-empty document with its position and metadata', () => {
  const r = loadTexts([{ file: 'a.yaml', dir: '/x', text: multi }])
  assert.deepEqual(r.diagnostics, [])
  assert.equal(r.resources.length, 2)
  const [svc, wl] = r.resources
  assert.equal(svc.kind, 'Service')
  assert.equal(svc.apiVersion, 'trellis.dev/v1alpha1')
  assert.equal(svc.qualifiedName, 'shop/orders')
  assert.deepEqual([svc.line, svc.col], [2, 1])
  assert.equal(wl.namespace, 'default')
  assert.equal(wl.qualifiedName, 'default/orders-v1')
  assert.deepEqual([wl.line, wl.col], [11, 1])
  assert.equal(wl.file, 'a.yaml')
  assert.equal(wl.dir, '/x')
})

test('locate points at keys and values, 1-based', () => {
  const [svc, wl] = loadTexts([{ file: 'a.yaml', dir: '/x', text: multi }]).resources
  assert.deepEqual(svc.locate(['spec', 'port'], 'key'), { line: 6, col: 3 })
  assert.deepEqual(svc.locate(['spec', 'port'], 'value'), { line: 6, col: 9 })
  assert.deepEqual(svc.locate(['metadata', 'name'], 'value'), { line: 4, col: 19 })
  assert.deepEqual(svc.locate(['spec', 'selector', 'app'], 'value'), { line: 8, col: 10 })
  assert.deepEqual(wl.locate(['spec', 'command', 1], 'value'), { line: 16, col: 19 })
  assert.deepEqual(wl.locate(['spec', 'upstreams', 0, 'localPort'], 'value'), { line: 18, col: 39 })
  assert.deepEqual(wl.locate(['spec', 'upstreams', 0], 'value'), { line: 18, col: 7 })
  // missing fields resolve to the deepest existing ancestor's key
  assert.deepEqual(svc.locate(['spec', 'healthCheck', 'path'], 'key'), { line: 5, col: 1 })
  assert.deepEqual(svc.locate([], 'key'), { line: 2, col: 1 })
})

test('a document text re-parses alone with lineOffset = line - 1', () => {
  const [, wl] = loadTexts([{ file: 'a.yaml', dir: '/x', text: multi }]).resources
  const again = loadTexts([{ file: 'a.yaml', dir: '/x', text: wl.text, lineOffset: wl.line - 1 }])
  assert.deepEqual(again.diagnostics, [])
  assert.equal(again.resources.length, 1)
  const re = again.resources[0]
  assert.deepEqual(re.value, wl.value)
  assert.deepEqual([re.line, re.col], [wl.line, wl.col])
  const path = ['spec', 'upstreams', 0, 'localPort']
  assert.deepEqual(re.locate(path, 'value'), wl.locate(path, 'value'))
})

test('syntax errors become diagnostics with positions; other documents still load', () => {
  const text = 'kind: Service\nmetadata: { name: a }\n---\nkind: Service\nmetadata: { name: [b }\n---\nkind: Gateway\n'
  const r = loadTexts([{ file: 'bad.yaml', dir: '/x', text, lineOffset: 10 }])
  assert.equal(r.resources.length, 2)
  assert.equal(r.diagnostics.length > 0, true)
  const d = r.diagnostics[0]
  assert.equal(d.severity, 'error')
  assert.equal(d.code, 'YAML_SYNTAX')
  assert.equal(d.file, 'bad.yaml')
  assert.equal(d.line > 14 && d.line <= 16, true, `line ${d.line}`)
  assert.equal(r.resources[1].line, 17)
})

test('JSON documents load with positions', () => {
  const text = '{\n  "apiVersion": "trellis.dev/v1alpha1",\n  "kind": "Service",\n  "metadata": {"name": "a"},\n  "spec": {"port": 80}\n}\n'
  const r = loadTexts([{ file: 'a.json', dir: '/x', text }])
  assert.deepEqual(r.diagnostics, [])
  assert.equal(r.resources[0].name, 'a')
  assert.deepEqual(r.resources[0].locate(['spec', 'port'], 'value'), { line: 5, col: 20 })
})

test('a document that is not a mapping is reported; empty ones are skipped', () => {
  const r = loadTexts([{ file: 'a.yaml', dir: '/x', text: '---\n# nothing\n---\n- a\n- b\n---\n' }])
  assert.equal(r.resources.length, 0)
  assert.equal(r.diagnostics.length, 1)
  assert.equal(r.diagnostics[0].code, 'NOT_A_RESOURCE')
  assert.deepEqual([r.diagnostics[0].line, r.diagnostics[0].col], [4, 1])
})

test('a byte order mark does not shift the columns of the first line', () => {
  const text = 'apiVersion: trellis.dev/v1\nkind: Service\nmetadata: { name: x }\nspec: { port: 80 }\n'
  const plain = loadTexts([{ file: 'a.yaml', dir: '/x', text }]).resources[0]
  const bom = loadTexts([{ file: 'a.yaml', dir: '/x', text: '\ufeff' + text }]).resources[0]
  assert.deepEqual(plain.locate(['apiVersion'], 'value'), { line: 1, col: 13 })
  assert.deepEqual(bom.locate(['apiVersion'], 'value'), { line: 1, col: 13 })
  assert.deepEqual([bom.line, bom.col], [1, 1])
  assert.equal(bom.apiVersion, 'trellis.dev/v1')
})

test('YAML problems name the field and say what would be valid', () => {
  const cases = [
    {
      text: 'kind: Service\nspec:\n  endpoints:\n    - { address: a, address: b }\n',
      want: 'f.yaml:4:21: spec.endpoints[0].address: key "address" is given twice; give each key once',
    },
    {
      text: 'kind: Service\nspec:\n  port: 80\n  port: 81\n',
      want: 'f.yaml:4:3: spec.port: key "port" is given twice; give each key once',
    },
    { text: 'kind: Service\nspec:\n\tport: 80\n', want: 'f.yaml:3:1: tabs are not allowed as indentation; indent with spaces' },
    {
      text: 'kind: Service\nmetadata: &m { name: a }\n---\nkind: Service\nmetadata: *m\n',
      want: 'f.yaml:5:11: metadata: alias *m has no anchor before it in this document; define &m earlier in the same document (anchors do not reach across ---)',
    },
  ]
  for (const c of cases) {
    const r = loadTexts([{ file: 'f.yaml', dir: '/x', text: c.text }])
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [c.want])
  }
})
