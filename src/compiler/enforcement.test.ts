import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDiagnostic } from '../ir/diagnostic.js'
import { compileSources } from './compile.js'

const grpcRoute = `apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: s }
spec: { port: 80, protocol: grpc }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: r }
spec:
  parentRefs: [{ kind: Service, name: s }]
  rules:
    - filters: [{ type: ExtensionRef, extensionRef: { kind: Limiter, name: l } }]
      backendRefs: [{ name: s }]
`

const gatewayTlsOptions = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: g }
spec:
  listeners:
    - name: https
      port: 8443
      protocol: HTTPS
      tls: { certificateRefs: [{ name: c }], options: { minVersion: "1.3" } }
---
apiVersion: trellis.dev/v1alpha1
kind: Certificate
metadata: { name: c }
spec: { certFile: c.pem, keyFile: k.pem }
`

const cases = [
  {
    name: 'a GRPCRoute ExtensionRef filter',
    input: grpcRoute,
    want: ['warning: f.yaml:12:39: accepted but not enforced yet: GRPCRoute default/r spec.rules[0].filters[0].extensionRef (f.yaml:12:39)'],
  },
  {
    name: 'Gateway listener tls.options',
    input: gatewayTlsOptions,
    want: ['warning: f.yaml:9:46: accepted but not enforced yet: Gateway default/g spec.listeners[0].tls.options (f.yaml:9:46)'],
  },
]

for (const c of cases) {
  test(`a standard field not acted on is named in a warning: ${c.name}`, () => {
    const r = compileSources([{ file: 'f.yaml', dir: '/d', text: c.input }])
    assert.deepEqual(r.diagnostics.map(d => `${d.severity}: ${formatDiagnostic(d)}`), c.want)
  })
}
