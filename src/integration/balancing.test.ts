// Load balancing and traffic splits through real sidecars.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { TestMesh } from './harness/mesh.js'
import { get } from './harness/http.js'

const CONFIG = (lb: string) => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: 80, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api-v1 }
spec: { port: 80, selector: { app: api, version: v1 } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api-v2 }
spec: { port: 80, selector: { app: api, version: v2 } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: pool }
spec: { port: 80, selector: { app: pool } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api-v1, labels: { app: api, version: v1 } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api-v2, labels: { app: api, version: v2 } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: pool, labels: { app: pool } }
spec: { command: [x], replicas: 3 }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: api }, { service: pool }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-split }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /beta } }]
      backendRefs: [{ name: api-v2, port: 80 }]
    - backendRefs: [{ name: api-v1, port: 80, weight: 90 }, { name: api-v2, port: 80, weight: 10 }]
---
apiVersion: trellis.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: pool }
spec: { targetRef: { kind: Service, name: pool }, loadBalancer: ${lb} }
`

const mesh = new TestMesh()
let apiUrl = '', poolUrl = ''

before(async () => {
  await mesh.start()
  await mesh.apply(CONFIG('{ type: RoundRobin }'))
  const client = await mesh.replica('client', 0)
  await mesh.replica('api-v1', 0, { name: 'v1' })
  await mesh.replica('api-v2', 0, { name: 'v2' })
  for (let i = 0; i < 3; i++) await mesh.replica('pool', i)
  await mesh.settled()
  apiUrl = `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`
  poolUrl = `http://127.0.0.1:${client.sidecar.outboundPort('default/pool')}`
})
after(() => mesh.stop())

test('a 90/10 weighted split holds within 2 percentage points over 500 requests', async () => {
  let v2 = 0
  for (let i = 0; i < 500; i++) {
    const r = await get(`${apiUrl}/orders`)
    assert.equal(r.status, 200)
    if (r.json().name === 'v2') v2++
  }
  assert.ok(Math.abs(v2 / 500 - 0.1) <= 0.02, `v2 got ${v2}/500`)
})

test('path prefix rules route before the weighted default rule', async () => {
  for (let i = 0; i < 10; i++) assert.equal((await get(`${apiUrl}/beta/x`)).json().name, 'v2')
  assert.equal((await get(`${apiUrl}/betamax`)).status, 200) // /betamax is not under /beta: default rule
})

test('EWMA steers away from a slow replica', async () => {
  await mesh.apply(CONFIG('{ type: EWMA }'))
  await mesh.settled()
  const slow = mesh.backends.find(b => b.name === 'pool-1')!
  slow.delayMs = 100
  try {
    const before = new Map(mesh.backends.map(b => [b.name, b.hits]))
    for (let i = 0; i < 60; i++) await get(`${poolUrl}/work`)
    const hits = (name: string) => mesh.backends.find(b => b.name === name)!.hits - before.get(name)!
    assert.ok(hits('pool-1') <= 8, `slow replica got ${hits('pool-1')} of 60`)
  } finally { slow.delayMs = 0 }
})

test('least-request steers away from a busy (slow) replica', async () => {
  await mesh.apply(CONFIG('{ type: LeastRequest }'))
  await mesh.settled()
  const slow = mesh.backends.find(b => b.name === 'pool-0')!
  slow.delayMs = 200
  try {
    const before = new Map(mesh.backends.map(b => [b.name, b.hits]))
    // 6 workers in a closed loop: the slow replica keeps requests in flight, so it loses the comparisons.
    await Promise.all(Array.from({ length: 6 }, async () => { for (let i = 0; i < 15; i++) await get(`${poolUrl}/work`) }))
    const hits = (name: string) => mesh.backends.find(b => b.name === name)!.hits - before.get(name)!
    // Random picks would give each replica ~30 of the 90; least-request gives the slow one ~12. The
    // fast replicas are averaged: one of them alone varies too much for a tight bound.
    const fast = (hits('pool-1') + hits('pool-2')) / 2
    assert.ok(hits('pool-0') * 2 < fast, `slow replica got ${hits('pool-0')}, the fast ones ${hits('pool-1')} and ${hits('pool-2')}`)
  } finally { slow.delayMs = 0 }
})

test('ring hash keeps a key on one replica', async () => {
  await mesh.apply(CONFIG('{ type: RingHash, hashOn: { header: x-user } }'))
  await mesh.settled()
  for (const user of ['alice', 'bob', 'carol', 'dave']) {
    const names = new Set<string>()
    for (let i = 0; i < 8; i++) names.add((await get(`${poolUrl}/cart`, { 'x-user': user })).json().name)
    assert.equal(names.size, 1, `${user} went to ${[...names]}`)
  }
})

test('proxy metrics count requests by route and backend', async () => {
  const client = mesh.sidecars[0]
  const text = client.metrics.render()
  assert.match(text, /trellis_requests_total\{listener="outbound\|default\/api",route="default\/api-split",backend="default\/api-v1",status_class="2xx"\} \d+/)
  assert.match(text, /trellis_request_duration_seconds_bucket\{listener="outbound\|default\/pool"/)
})
