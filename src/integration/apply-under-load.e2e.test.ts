// Live changes drop nothing: under steady load through the gateway, 20 applies in a row that change
// weights, replica counts and routes fail zero requests. Also: an invalid apply changes nothing.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../supervisor/free-port.js'
import { get, sleep } from './harness/http.js'
import { ECHO_APP, UpProcess, tempProject, trellis, trellisAsync } from './harness/up-process.js'

let cpPort = 0, gwPort = 0
let dir = ''
let up: UpProcess

const mesh = (weights: [number, number], replicas: number, extraRule: boolean) => `
apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: 127.0.0.1:${cpPort} }, drainTimeout: 3s }
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
kind: Workload
metadata: { name: api-v1, labels: { app: api, version: v1 } }
spec: { command: [node, app.mjs], replicas: ${replicas}, env: { VERSION: v1 } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api-v2, labels: { app: api, version: v2 } }
spec: { command: [node, app.mjs], replicas: 1, env: { VERSION: v2 } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec: { listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ name: edge }]
  rules:
${extraRule ? `    - matches: [{ path: { type: PathPrefix, value: /v2 } }]
      backendRefs: [{ name: api-v2, port: 80 }]
` : ''}    - backendRefs: [{ name: api-v1, port: 80, weight: ${weights[0]} }, { name: api-v2, port: 80, weight: ${weights[1]} }]
`

before(async () => {
  cpPort = await freePort()
  gwPort = await freePort()
  dir = tempProject({ 'app.mjs': ECHO_APP, 'mesh.yaml': mesh([90, 10], 2, false) })
  up = new UpProcess(dir, ['-f', 'mesh.yaml'])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(dir, { recursive: true, force: true }) })

test('20 applies under steady load fail zero requests', async t => {
  let stop = false, ok = 0
  const failures: string[] = []
  const deadline = Date.now() + 120_000
  const worker = async (w: number) => {
    for (let i = 0; !stop && Date.now() < deadline && i < 100_000; i++) {
      try {
        const r = await get(`http://127.0.0.1:${gwPort}/${i % 3 === 0 ? 'v2/x' : 'x'}`)
        if (r.status === 200) ok++
        else failures.push(`worker ${w}: ${r.status} ${r.headers['x-trellis-reason'] ?? ''} ${r.body.slice(0, 100)}`)
      } catch (err) { failures.push(`worker ${w}: ${(err as Error).message}`) }
    }
  }
  const load = Promise.all([0, 1, 2, 3].map(worker))
  const changes: [[number, number], number, boolean][] = []
  for (let i = 0; i < 20; i++) changes.push([i % 2 ? [50, 50] : [90, 10], 2 + (i % 3 === 1 ? 1 : 0), i % 4 >= 2])
  for (const [weights, replicas, extra] of changes) {
    writeFileSync(join(dir, 'change.yaml'), mesh(weights, replicas, extra))
    const res = await trellisAsync(dir, 'apply', '-f', 'change.yaml', '--wait')
    assert.equal(res.status, 0, res.stderr)
    await sleep(150)
  }
  await sleep(1000) // let the last replica changes finish under load
  stop = true
  await load
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${ok + failures.length} requests failed`)
  t.diagnostic(`${ok} requests, ${failures.length} failed`)
  assert.ok(ok > 200, `only ${ok} requests ran`)
  const instances = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items
  const lastReplicas = changes[changes.length - 1][1]
  assert.equal(instances.filter((i: { workload: string }) => i.workload === 'default/api-v1').length, lastReplicas, 'replica count follows the last apply')
})

test('an invalid apply is refused whole with FILE:LINE:COL and changes nothing', async () => {
  const before = JSON.parse(trellis(dir, 'get', 'routes', '-o', 'json').stdout)
  writeFileSync(join(dir, 'bad.yaml'), `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - backendRefs: [{ name: api-v1, port: 80, wieght: 5 }]
`)
  const res = trellis(dir, 'apply', '-f', 'bad.yaml')
  assert.equal(res.status, 1)
  assert.match(res.stderr, /^bad\.yaml:7:47: spec\.rules\[0\]\.backendRefs\[0\]\.wieght: unknown field/m)
  assert.deepEqual(JSON.parse(trellis(dir, 'get', 'routes', '-o', 'json').stdout), before)
  assert.equal((await get(`http://127.0.0.1:${gwPort}/x`)).status, 200)
})

test('delete removes what it names and leaves the rest', async () => {
  writeFileSync(join(dir, 'extra.yaml'), `apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: extra }
spec: { port: 80, selector: { app: extra } }
`)
  assert.equal(trellis(dir, 'apply', '-f', 'extra.yaml').status, 0)
  assert.match(trellis(dir, 'get', 'services').stdout, /extra/)
  const del = trellis(dir, 'delete', '-f', 'extra.yaml')
  assert.equal(del.status, 0, del.stderr)
  const after = trellis(dir, 'get', 'services').stdout
  assert.doesNotMatch(after, /extra/)
  assert.match(after, /api-v1/)
})

test('rollout restart under load replaces every replica and fails zero requests', async t => {
  const before = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { workload: string; pid: number }[]
  let stop = false, ok = 0
  const failures: string[] = []
  const deadline = Date.now() + 120_000
  const worker = async () => {
    while (!stop && Date.now() < deadline) {
      try {
        const r = await get(`http://127.0.0.1:${gwPort}/v2/x`)
        if (r.status === 200) ok++; else failures.push(`${r.status} ${r.headers['x-trellis-reason'] ?? ''}`)
      } catch (err) { failures.push((err as Error).message) }
    }
  }
  const load = Promise.all([0, 1, 2].map(worker))
  // api-v2 has a single replica: only a surge (new one ready before the old one drains) keeps it served.
  for (const w of ['api-v2', 'api-v1']) {
    const res = await trellisAsync(dir, 'rollout', 'restart', w, '--wait')
    assert.equal(res.status, 0, res.stderr)
    assert.match(res.stdout, new RegExp(`default/${w} rolled out`))
  }
  stop = true
  await load
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${ok + failures.length} failed`)
  t.diagnostic(`${ok} requests, ${failures.length} failed`)
  assert.ok(ok > 200, `only ${ok} requests ran`)
  const after = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { workload: string; pid: number }[]
  const oldPids = new Set(before.map(i => i.pid))
  assert.ok(after.every(i => !oldPids.has(i.pid)), 'every app process was replaced')
  assert.equal(after.filter(i => i.workload === 'default/api-v2').length, 1)
})
