import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { compileSources } from './compile.js'

const doc = (kind: string, name: string, spec: string) =>
  `apiVersion: ${kind.endsWith('Route') ? 'gateway.networking.k8s.io/v1' : 'trellis.dev/v1alpha1'}\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`

function lines(...docs: string[]): string[] {
  const r = compileSources([{ file: 'f.yaml', dir: '/d', text: docs.join('---\n') }])
  return r.diagnostics.map(d => `${d.severity}: ${formatDiagnostic(d)}`)
}

test('a second TrafficPolicy on one HTTPRoute is named in a warning, as on a Service', () => {
  const got = lines(
    doc('Service', 's', '{ port: 80 }'),
    doc('HTTPRoute', 'r', '{ parentRefs: [{ kind: Service, name: s }] }'),
    doc('TrafficPolicy', 'a', '{ targetRef: { kind: HTTPRoute, name: r }, timeout: 1s }'),
    doc('TrafficPolicy', 'b', '{ targetRef: { kind: HTTPRoute, name: r }, timeout: 2s }'),
  )
  assert.deepEqual(got, [
    'warning: f.yaml:19:20: spec.targetRef: HTTPRoute "r" already has TrafficPolicy "default/a"; this one is ignored for it; attach one TrafficPolicy per route (the first by namespace/name wins)',
  ])
})
