import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { compileSources } from './compile.js'

const gateway = (port: number) =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: g }\nspec:\n  listeners: [{ name: h, port: ${port}, protocol: HTTP }]\n`
const mesh = (listen: string) => `apiVersion: trellis.dev/v1alpha1\nkind: Mesh\nmetadata: { name: m }\nspec: { controlPlane: { listen: "${listen}" } }\n`
const workload = (port: number) =>
  `apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: s }\nspec: { port: 80 }\n---\n` +
  `apiVersion: trellis.dev/v1alpha1\nkind: Workload\nmetadata: { name: w }\nspec: { command: [app], upstreams: [{ service: s, localPort: ${port} }] }\n`

const cases = [
  {
    name: 'a Gateway listener on the default control-plane port',
    docs: [gateway(15000)],
    want: ['f.yaml:5:32: spec.listeners[0].port: port 15000 is already used by the control plane (127.0.0.1:15000, the Mesh\'s controlPlane.listen); choose another port, or move the control plane'],
  },
  {
    name: 'an upstream localPort on the control plane\'s port, set by the Mesh',
    docs: [mesh('0.0.0.0:9000'), workload(9000)],
    want: ['f.yaml:14:62: spec.upstreams[0].localPort: localPort 9000 is already used by the control plane (0.0.0.0:9000, the Mesh\'s controlPlane.listen); choose another port, or leave localPort out to get a free one'],
  },
  { name: 'a control plane on another host shares no port', docs: [mesh('10.0.0.5:15000'), gateway(15000)], want: [] },
]

for (const c of cases) {
  test(`ports: ${c.name}`, () => {
    const r = compileSources([{ file: 'f.yaml', dir: '/d', text: c.docs.join('---\n') }])
    assert.deepEqual(r.diagnostics.filter(d => d.severity === 'error').map(formatDiagnostic), c.want)
  })
}
