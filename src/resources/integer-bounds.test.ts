// Every whole-number field has an upper bound: the bound itself is accepted, one more is refused
// with the field's position, path and valid range, and so are absurd values such as 1e300 or 2^53.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadTexts } from '../config/load-texts.js'
import { validateResource } from './index.js'

const TRELLIS = 'trellis.dev/v1alpha1', GATEWAY = 'gateway.networking.k8s.io/v1', GATEWAY_ALPHA = 'gateway.networking.k8s.io/v1alpha2'

interface Field {
  readonly path: string            // as the test prints it: spec.limits.0.requests
  readonly apiVersion: string
  readonly kind: string
  readonly spec: string            // block YAML under `spec:`; `V` marks the value under test
  readonly min: number
  readonly max: number
}

const route = (rule: string) => `parentRefs: [{ kind: Service, name: s }]\nrules:\n  - ${rule}`
const mirror = (fraction: string) => route(`filters:\n      - type: RequestMirror\n        requestMirror:\n          backendRef: { name: m }\n          fraction: ${fraction}`)
const toService = 'targetRef: { kind: Service, name: s }'

const fields: Field[] = [
  { path: 'spec.port', apiVersion: TRELLIS, kind: 'Service', spec: 'port: V', min: 1, max: 65535 },
  { path: 'spec.healthCheck.unhealthyThreshold', apiVersion: TRELLIS, kind: 'Service', spec: 'port: 80\nhealthCheck:\n  unhealthyThreshold: V', min: 1, max: 1000 },
  { path: 'spec.healthCheck.healthyThreshold', apiVersion: TRELLIS, kind: 'Service', spec: 'port: 80\nhealthCheck:\n  healthyThreshold: V', min: 1, max: 1000 },
  { path: 'spec.replicas', apiVersion: TRELLIS, kind: 'Workload', spec: 'command: [x]\nreplicas: V', min: 0, max: 1000 },
  { path: 'spec.upstreams.0.localPort', apiVersion: TRELLIS, kind: 'Workload', spec: 'command: [x]\nupstreams:\n  - service: s\n    localPort: V', min: 1, max: 65535 },
  { path: 'spec.listeners.0.port', apiVersion: GATEWAY, kind: 'Gateway', spec: 'listeners:\n  - name: h\n    protocol: HTTP\n    port: V', min: 1, max: 65535 },
  { path: 'spec.rules.0.backendRefs.0.weight', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: route('backendRefs:\n      - name: s\n        weight: V'), min: 0, max: 1_000_000 },
  { path: 'spec.rules.0.backendRefs.0.port', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: route('backendRefs:\n      - name: s\n        port: V'), min: 1, max: 65535 },
  { path: 'spec.rules.0.backendRefs.0.weight', apiVersion: GATEWAY_ALPHA, kind: 'TCPRoute', spec: 'parentRefs: [{ name: g }]\nrules:\n  - backendRefs:\n      - name: s\n        weight: V', min: 0, max: 1_000_000 },
  { path: 'spec.rules.0.retry.attempts', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: route('retry:\n      attempts: V'), min: 0, max: 100 },
  { path: 'spec.rules.0.filters.0.requestMirror.percent', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: route('filters:\n      - type: RequestMirror\n        requestMirror:\n          backendRef: { name: m }\n          percent: V'), min: 0, max: 100 },
  { path: 'spec.rules.0.filters.0.requestMirror.fraction.denominator', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: mirror('\n            numerator: 0\n            denominator: V'), min: 1, max: 1_000_000 },
  { path: 'spec.rules.0.filters.0.requestMirror.fraction.numerator', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: mirror('\n            denominator: 1000000\n            numerator: V'), min: 0, max: 1_000_000 },
  { path: 'spec.rules.0.filters.0.requestRedirect.port', apiVersion: GATEWAY, kind: 'HTTPRoute', spec: route('filters:\n      - type: RequestRedirect\n        requestRedirect:\n          port: V'), min: 1, max: 65535 },
  { path: 'spec.limits.maxRequestHeadersBytes', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nlimits:\n  maxRequestHeadersBytes: V`, min: 1, max: 1_048_576 },
  { path: 'spec.limits.maxRequestHeaders', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nlimits:\n  maxRequestHeaders: V`, min: 1, max: 10_000 },
  { path: 'spec.limits.maxUrlBytes', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nlimits:\n  maxUrlBytes: V`, min: 1, max: 1_048_576 },
  { path: 'spec.limits.maxRequestBodyBytes', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nlimits:\n  maxRequestBodyBytes: V`, min: 0, max: 1024 ** 4 },
  { path: 'spec.limits.maxConnections', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nlimits:\n  maxConnections: V`, min: 1, max: 1_000_000 },
  { path: 'spec.limits.http2MaxConcurrentStreams', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nlimits:\n  http2MaxConcurrentStreams: V`, min: 1, max: 2 ** 32 - 1 },
  { path: 'spec.clientIP.trustedHops', apiVersion: TRELLIS, kind: 'ClientTrafficPolicy', spec: `${toService}\nclientIP:\n  trustedHops: V`, min: 0, max: 64 },
  { path: 'spec.retries.attempts', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\nretries:\n  attempts: V`, min: 0, max: 100 },
  { path: 'spec.retries.budget.minRetriesPerSecond', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\nretries:\n  budget:\n    minRetriesPerSecond: V`, min: 0, max: 1_000_000 },
  { path: 'spec.circuitBreaker.maxConnections', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\ncircuitBreaker:\n  maxConnections: V`, min: 1, max: 1_000_000 },
  { path: 'spec.circuitBreaker.maxPendingRequests', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\ncircuitBreaker:\n  maxPendingRequests: V`, min: 0, max: 1_000_000 },
  { path: 'spec.circuitBreaker.maxRequests', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\ncircuitBreaker:\n  maxRequests: V`, min: 1, max: 1_000_000 },
  { path: 'spec.outlierDetection.consecutiveErrors', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\noutlierDetection:\n  consecutiveErrors: V`, min: 1, max: 1000 },
  { path: 'spec.outlierDetection.maxEjectionPercent', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\noutlierDetection:\n  maxEjectionPercent: V`, min: 0, max: 100 },
  { path: 'spec.faultInjection.abort.status', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\nfaultInjection:\n  abort:\n    percent: 1\n    status: V`, min: 200, max: 599 },
  { path: 'spec.faultInjection.abort.grpcStatus', apiVersion: TRELLIS, kind: 'TrafficPolicy', spec: `${toService}\nfaultInjection:\n  abort:\n    percent: 1\n    status: 503\n    grpcStatus: V`, min: 1, max: 16 },
  { path: 'spec.limits.0.requests', apiVersion: TRELLIS, kind: 'RateLimitPolicy', spec: 'targetRef: { kind: Gateway, name: g }\nlimits:\n  - key: ip\n    per: 1s\n    requests: V', min: 1, max: 1_000_000_000 },
  { path: 'spec.audit.maxSizeBytes', apiVersion: TRELLIS, kind: 'SecurityPolicy', spec: 'targetRef: { kind: Gateway, name: g }\naudit:\n  file: audit.log\n  maxSizeBytes: V', min: 1024, max: 1024 ** 4 },
  { path: 'spec.audit.maxFiles', apiVersion: TRELLIS, kind: 'SecurityPolicy', spec: 'targetRef: { kind: Gateway, name: g }\naudit:\n  file: audit.log\n  maxFiles: V', min: 1, max: 100 },
]

/** Every issue as `line:col path: message`, and where `V` stands in the document. */
function check(f: Field, value: string): { issues: string[]; at: string } {
  const lines = [`apiVersion: ${f.apiVersion}`, `kind: ${f.kind}`, 'metadata: { name: r }', 'spec:', ...f.spec.split('\n').map(l => `  ${l}`)]
  const line = lines.findIndex(l => / V$/.test(l))
  const at = `${line + 1}:${lines[line].length}`
  lines[line] = lines[line].slice(0, -1) + value
  const [r] = loadTexts([{ file: 'f.yaml', dir: '/d', text: lines.join('\n') + '\n' }]).resources
  const issues = validateResource(r).issues.filter(i => i.severity === 'error').map(i => {
    const { line: l, col } = r.locate(i.path, i.at)
    return `${l}:${col} ${i.path.join('.')}: ${i.message}`
  })
  return { issues, at }
}

for (const f of fields) {
  test(`${f.kind} ${f.path}: ${f.max} is accepted; above it is refused with the range ${f.min} to ${f.max}`, () => {
    assert.deepEqual(check(f, String(f.max)).issues, [], 'the bound itself')
    for (const [written, shown] of [[String(f.max + 1), String(f.max + 1)], ['1e300', '1e+300'], ['9007199254740992', '9007199254740992']]) {
      const { issues, at } = check(f, written)
      assert.deepEqual(issues, [`${at} ${f.path}: expected an integer from ${f.min} to ${f.max}, got ${shown}`], written)
    }
  })
}
