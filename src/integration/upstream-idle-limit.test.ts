// The proxy-wide limit on idle upstream keep-alive sockets, through a real sidecar: a Service with
// many static endpoints, balanced round-robin, leaves no more idle sockets open on the backends'
// side than the limit, and every request still succeeds.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { DEFAULT_IDLE_LIMIT, idleConnections } from '../dataplane/upstream/h1/idle-list.js'
import { startBackend, type Backend } from './harness/backends.js'
import { get, sleep } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'

const ENDPOINTS = 40
const mesh = new TestMesh()
const backends: Backend[] = []
let open = 0
let accepted = 0
let url = ''

before(async () => {
  await mesh.start()
  for (let i = 0; i < ENDPOINTS; i++) {
    const b = await startBackend(`many-${i}`)
    b.server.keepAliveTimeout = 60_000
    b.server.on('connection', (s: Socket) => { open++; accepted++; s.once('close', () => open--) })
    backends.push(b)
  }
  await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: many }
spec:
  port: 80
  endpoints:
${backends.map(b => `    - { address: "127.0.0.1:${b.port}" }`).join('\n')}
---
apiVersion: trellis.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: many }
spec: { targetRef: { kind: Service, name: many }, loadBalancer: { type: RoundRobin } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: many }] }
`)
  const client = await mesh.replica('client', 0)
  await mesh.settled()
  url = `http://127.0.0.1:${client.sidecar.outboundPort('default/many')}/`
})
after(async () => {
  idleConnections.limit = DEFAULT_IDLE_LIMIT
  await mesh.stop()
  await Promise.all(backends.map(b => b.close()))
})

/** `n` requests, `parallel` at a time; every answer must be a 200. */
async function load(n: number, parallel: number): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next++ < n) assert.equal((await get(url)).status, 200)
  }))
}

test('round-robin over 40 endpoints keeps at most the idle limit of upstream sockets open', async () => {
  idleConnections.limit = 8
  await load(200, 4)
  await sleep(100)                                    // the backends see the closes
  assert.ok(backends.every(b => b.hits >= 4), 'every endpoint was used')
  assert.ok(open <= 8, `${open} upstream sockets open on the backends' side, limit 8`)
  assert.ok(idleConnections.size <= 8)
})

test('under the limit, one socket per endpoint is kept and reused', async () => {
  idleConnections.limit = DEFAULT_IDLE_LIMIT
  await load(2 * ENDPOINTS, 1)                        // one at a time: one socket per endpoint suffices
  await sleep(100)
  assert.equal(open, ENDPOINTS)
  const before = accepted
  await load(2 * ENDPOINTS, 1)
  await sleep(100)
  assert.equal(accepted, before)                      // reused: no new sockets
  assert.equal(open, ENDPOINTS)
})
