import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileSources } from './compile.js'

const doc = (kind: string, name: string, spec: string) =>
  `apiVersion: ${kind.endsWith('Route') ? 'gateway.networking.k8s.io/v1' : 'trellis.dev/v1alpha1'}\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`

/** The request timeout compiled for the one rule of route `r` on Service `s` (null: the Service's applies). */
function requestMs(ruleTimeouts: string, routePolicy: string | null): number | null {
  const timeouts = ruleTimeouts ? `, timeouts: ${ruleTimeouts}` : ''
  const docs = [
    doc('Service', 's', '{ port: 80 }'),
    doc('TrafficPolicy', 'service-policy', '{ targetRef: { kind: Service, name: s }, timeout: 7s }'),
    doc('HTTPRoute', 'r', `{ parentRefs: [{ kind: Service, name: s }], rules: [{ backendRefs: [{ name: s }]${timeouts} }] }`),
  ]
  if (routePolicy !== null) docs.push(doc('TrafficPolicy', 'route-policy', `{ targetRef: { kind: HTTPRoute, name: r }${routePolicy} }`))
  const r = compileSources([{ file: 'f.yaml', dir: '/d', text: docs.join('---\n') }])
  assert.deepEqual(r.diagnostics.filter(d => d.severity === 'error'), [])
  const svc = r.ir.services.find(x => x.name === 'default/s')!
  assert.equal(svc.policy.timeoutMs, 7000)
  return svc.routes.hosts[0].entries[0].timeouts.requestMs
}

const cases: { name: string; rule: string; routePolicy: string | null; want: number | null }[] = [
  { name: 'no timeouts anywhere on the route: left to the Service', rule: '', routePolicy: null, want: null },
  { name: 'the rule\'s 0s switches the timeout off', rule: '{ request: 0s }', routePolicy: null, want: 0 },
  { name: 'the rule\'s own request timeout', rule: '{ request: 2s }', routePolicy: null, want: 2000 },
  { name: 'only backendRequest: the request timeout is still left to the Service', rule: '{ backendRequest: 1s }', routePolicy: null, want: null },
  { name: 'a route policy\'s timeout when the rule sets none', rule: '', routePolicy: ', timeout: 3s', want: 3000 },
  { name: 'a route policy\'s timeout when the rule sets only backendRequest', rule: '{ backendRequest: 1s }', routePolicy: ', timeout: 3s', want: 3000 },
  { name: 'a route policy\'s 0s switches the timeout off', rule: '', routePolicy: ', timeout: 0s', want: 0 },
  { name: 'a route policy without timeout leaves it to the Service', rule: '', routePolicy: ', retries: { attempts: 1 }', want: null },
  { name: 'the rule\'s 0s wins over a route policy\'s timeout', rule: '{ request: 0s }', routePolicy: ', timeout: 3s', want: 0 },
  { name: 'the rule\'s timeout wins over a route policy\'s 0s', rule: '{ request: 2s }', routePolicy: ', timeout: 0s', want: 2000 },
]

for (const c of cases) {
  test(`route request timeout: ${c.name}`, () => {
    assert.equal(requestMs(c.rule, c.routePolicy), c.want)
  })
}
