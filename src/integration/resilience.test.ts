// Resilience through real sidecars: retries and their budget, circuit breaking, outlier detection
// with panic routing, active health checks, fault injection and timeouts.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { TestMesh } from './harness/mesh.js'
import { eventually, get, sleep } from './harness/http.js'
import type { Backend } from './harness/backends.js'

const service = (name: string, extra = '') => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: ${name} }
spec: { port: 80, selector: { app: ${name} }${extra} }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${name} } }
spec: { command: [x], replicas: 2 }
`
const policy = (name: string, spec: string) => `
---
apiVersion: trellis.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: ${name} }
spec:
  targetRef: { kind: Service, name: ${name} }
${spec}
`
const NAMES = ['retry', 'budget', 'breaker', 'outlier', 'panic', 'health', 'fault', 'slow']
const CONFIG = [
  service('retry') + policy('retry', '  loadBalancer: { type: RoundRobin }\n  retries: { attempts: 2, retryOn: [connect-failure, reset, 503] }'),
  service('budget') + policy('budget', '  retries: { attempts: 3, retryOn: [503], backoff: { base: 1ms, max: 2ms }, budget: { percent: 20, minRetriesPerSecond: 1 } }'),
  service('breaker') + policy('breaker', '  circuitBreaker: { maxRequests: 2, maxPendingRequests: 1 }'),
  service('outlier') + policy('outlier', '  loadBalancer: { type: RoundRobin }\n  outlierDetection: { consecutiveErrors: 3, baseEjectionTime: 1s, maxEjectionPercent: 50 }'),
  service('panic') + policy('panic', '  outlierDetection: { consecutiveErrors: 2, baseEjectionTime: 30s, maxEjectionPercent: 100 }'),
  service('health', ', healthCheck: { path: /healthz, interval: 100ms, timeout: 500ms, unhealthyThreshold: 2, healthyThreshold: 2 }') + policy('health', '  loadBalancer: { type: RoundRobin }'),
  service('fault') + policy('fault', '  faultInjection: { abort: { percent: 50, status: 503 } }'),
  service('slow') + policy('slow', '  timeout: 200ms'),
  `---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec:
  command: [x]
  upstreams: [${NAMES.map(n => `{ service: ${n} }`).join(', ')}]
`,
].join('\n---\n')

const mesh = new TestMesh()
const url = new Map<string, string>()
const backends = new Map<string, Backend[]>()

before(async () => {
  await mesh.start()
  await mesh.apply(CONFIG)
  const client = await mesh.replica('client', 0)
  for (const n of NAMES) {
    backends.set(n, [(await mesh.replica(n, 0)).backend, (await mesh.replica(n, 1)).backend])
  }
  await mesh.settled()
  for (const n of NAMES) url.set(n, `http://127.0.0.1:${client.sidecar.outboundPort(`default/${n}`)}`)
})
after(() => mesh.stop())

const hits = (n: string) => backends.get(n)!.reduce((a, b) => a + b.hits, 0)

test('a failing replica is retried on the other one: every request succeeds', async () => {
  backends.get('retry')![0].status = 503
  for (let i = 0; i < 50; i++) assert.equal((await get(`${url.get('retry')}/x`)).status, 200)
  backends.get('retry')![0].status = 200
})

test('a replica killed under steady load: with retries fewer than 0.1% of requests fail', async () => {
  let ok = 0, failed = 0, stop = false
  const deadline = Date.now() + 30_000
  const worker = async () => {
    while (!stop && Date.now() < deadline) {
      const r = await get(`${url.get('retry')}/load`).catch(() => null)
      if (r?.status === 200) ok++; else failed++
    }
  }
  const load = Promise.all([1, 2, 3, 4].map(worker))
  await sleep(500)
  await mesh.kill(mesh.sidecars.find(s => s.inboundPort && mesh.cp.registry.list().some(p => p.name === 'default/retry/1' && p.inboundAddress?.endsWith(`:${s.inboundPort}`)))!)
  await sleep(1500)
  stop = true
  await load
  assert.ok(ok > 300, `only ${ok} requests ran`)
  assert.ok(failed / (ok + failed) < 0.001, `${failed} of ${ok + failed} failed`)
})

test('the retry budget caps upstream attempts for a service that fails every request', async () => {
  for (const b of backends.get('budget')!) b.status = 503
  const before = hits('budget')
  const n = 200
  let fails = 0
  for (let i = 0; i < n; i++) if ((await get(`${url.get('budget')}/x`)).status === 503) fails++
  const attempts = hits('budget') - before
  assert.equal(fails, n, 'retries run out: the last response goes back as it came')
  // Without a budget 3 retries would make 800 attempts; the budget allows 20% of 200 plus 1/s over 10 s.
  assert.ok(attempts <= n + 0.2 * n + 10, `${attempts} attempts for ${n} requests`)
  assert.ok(attempts > n, 'some retries were allowed')
  assert.match(mesh.sidecars[0].metrics.render(), /trellis_retry_budget_exhausted_total\{service="default\/budget"\} [1-9]/)
})

test('the circuit breaker admits maxRequests + maxPendingRequests and rejects the rest at once', async () => {
  for (const b of backends.get('breaker')!) b.delayMs = 400
  const results = await Promise.all(Array.from({ length: 6 }, () => get(`${url.get('breaker')}/x`)))
  const ok = results.filter(r => r.status === 200).length
  const rejected = results.filter(r => r.status === 503 && r.headers['x-trellis-reason'] === 'overloaded').length
  assert.equal(ok, 3)
  assert.equal(rejected, 3)
  for (const b of backends.get('breaker')!) b.delayMs = 0
})

test('outlier detection ejects a failing replica and lets it back after the ejection time', async () => {
  const [bad, good] = backends.get('outlier')!
  bad.status = 500
  let errors = 0
  for (let i = 0; i < 20; i++) if ((await get(`${url.get('outlier')}/x`)).status !== 200) errors++
  assert.equal(errors, 3, 'ejected right at consecutiveErrors')
  bad.status = 200
  const badBefore = bad.hits
  await sleep(1200)
  for (let i = 0; i < 10; i++) await get(`${url.get('outlier')}/x`)
  assert.ok(bad.hits > badBefore, 'back in rotation after baseEjectionTime')
  assert.ok(good.hits > 0)
  assert.match(mesh.sidecars[0].metrics.render(), /trellis_outlier_ejections_total\{service="default\/outlier"\} 1/)
})

test('when every replica is ejected, traffic is spread over all of them (panic), never black-holed', async () => {
  for (const b of backends.get('panic')!) b.status = 500
  for (let i = 0; i < 10; i++) await get(`${url.get('panic')}/x`)
  for (const b of backends.get('panic')!) b.status = 200
  const r = await get(`${url.get('panic')}/x`)
  assert.equal(r.status, 200, 'panic routing still reaches the (now recovered) replicas')
})

test('get instances shows ejections (as callers report them), health and circuit state', async () => {
  const [a] = backends.get('health')!
  a.healthStatus = 500
  const view = await eventually('reported', async () => {
    const items = (await get(`${mesh.url}/api/v1/instances`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })).json().items as Record<string, unknown>[]
    const panic = items.filter(i => i.workload === 'default/panic')
    const health = items.find(i => i.name === 'default/health/0')
    return panic.every(i => i.ejected === true) && health?.healthy === false ? { panic, health } : null
  }, 8000)
  assert.deepEqual(view.panic[0].ejectedBy, ['default/client/0'])
  assert.equal(view.health.circuit, 'closed')
  a.healthStatus = 200
})

test('active health checks take an unhealthy replica out and bring it back', async () => {
  const [a, b] = backends.get('health')!
  a.healthStatus = 500
  await sleep(600)
  const aBefore = a.hits
  for (let i = 0; i < 10; i++) assert.equal((await get(`${url.get('health')}/x`)).status, 200)
  assert.equal(a.hits, aBefore, 'no traffic to the unhealthy replica')
  a.healthStatus = 200
  await eventually('healthy again', async () => {
    const before = a.hits
    for (let i = 0; i < 4; i++) await get(`${url.get('health')}/x`)
    return a.hits > before
  }, 5000)
  assert.ok(b.hits > 0)
})

test('fault injection aborts about the configured percentage with fault_injected', async () => {
  let aborted = 0
  const n = 400
  for (let i = 0; i < n; i++) {
    const r = await get(`${url.get('fault')}/x`)
    if (r.status === 503) { assert.equal(r.headers['x-trellis-reason'], 'fault_injected'); aborted++ } else assert.equal(r.status, 200)
  }
  assert.ok(Math.abs(aborted / n - 0.5) < 0.08, `${aborted} of ${n} aborted`)
})

test('a policy timeout answers 504 with x-trellis-reason: timeout', async () => {
  for (const b of backends.get('slow')!) b.delayMs = 1000
  const r = await get(`${url.get('slow')}/x`)
  assert.equal(r.status, 504)
  assert.equal(r.headers['x-trellis-reason'], 'timeout')
  for (const b of backends.get('slow')!) b.delayMs = 0
})
