import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { compileSources } from './compile.js'

const services = `apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: orders }
spec: { port: 80 }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: orders-v2 }
spec: { port: 80 }
`
const route = (name: string, rules: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name} }
spec:
  parentRefs: [{ kind: Service, name: orders }]
  rules:
${rules}`

function warnings(text: string): string[] {
  const r = compileSources([{ file: 'f.yaml', dir: '/d', text }])
  return r.diagnostics.map(d => `${d.severity}: ${formatDiagnostic(d)}`)
}

const cases = [
  {
    name: 'every backendRef of a rule has weight 0',
    input: services + route('r', '    - backendRefs: [{ name: orders, weight: 0 }, { name: orders-v2, weight: 0 }]\n'),
    want: ['warning: f.yaml:17:20: spec.rules[0].backendRefs: every backendRef has weight 0, so the rule\'s requests get 500; give at least one backendRef a weight above 0'],
  },
  {
    name: 'a weight of 0 beside a positive one is a plain split',
    input: services + route('r', '    - backendRefs: [{ name: orders, weight: 0 }, { name: orders-v2, weight: 1 }]\n'),
    want: [],
  },
  {
    name: 'two routes splitting the same traffic: the later never matches',
    input: services +
      route('a', '    - backendRefs: [{ name: orders, weight: 90 }, { name: orders-v2, weight: 10 }]\n') +
      route('b', '    - matches: [{ path: { type: PathPrefix, value: / } }]\n      backendRefs: [{ name: orders, weight: 50 }, { name: orders-v2, weight: 50 }]\n'),
    want: ['warning: f.yaml:25:17: spec.rules[0].matches[0]: never matches for Service "orders": HTTPRoute "a" (spec.rules[0]) has the same match and takes precedence; merge the two into one rule with weighted backendRefs, or make the matches differ'],
  },
  {
    name: 'different matches on one Service do not overlap',
    input: services +
      route('a', '    - matches: [{ path: { value: /a } }]\n      backendRefs: [{ name: orders }]\n') +
      route('b', '    - matches: [{ path: { value: /b } }]\n      backendRefs: [{ name: orders-v2 }]\n'),
    want: [],
  },
]

for (const c of cases) {
  test(`route warnings: ${c.name}`, () => {
    assert.deepEqual(warnings(c.input), c.want)
  })
}
