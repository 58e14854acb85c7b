// A TrafficPolicy's connectionPool through a real sidecar: after a burst, the surplus keep-alive
// sockets to an instance close after surplusIdleTimeout while the warm one stays, and a policy
// update changes the timeouts of sockets already pooled from their next release.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo, Socket } from 'node:net'
import { createServer as createH2Server } from 'node:http2'
import { startBackend, type Backend } from './harness/backends.js'
import { get, sleep } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'

const mesh = new TestMesh()
let backend: Backend
let open = 0
let accepted = 0
let url = ''
let metricsUrl = ''
let client: SidecarProxy

const config = (surplus: string) => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: slow }
spec:
  port: 80
  endpoints: [{ address: "127.0.0.1:${backend.port}" }]
---
apiVersion: trellis.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: slow }
spec: { targetRef: { kind: Service, name: slow }, connectionPool: { idleTimeout: 60s, surplusIdleTimeout: ${surplus} } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: slow }] }
`

before(async () => {
  await mesh.start()
  backend = await startBackend('slow', { delayMs: 30 })
  backend.server.keepAliveTimeout = 60_000
  backend.server.on('connection', (s: Socket) => { open++; accepted++; s.once('close', () => open--) })
  await mesh.apply(config('200ms'))
  client = (await mesh.replica('client', 0)).sidecar
  await mesh.settled()
  url = `http://127.0.0.1:${client.outboundPort('default/slow')}/`
  metricsUrl = `http://127.0.0.1:${client.adminPort}/metrics`
})

/** A series of the client sidecar's /metrics for Service default/slow. */
async function metric(name: string): Promise<number> {
  const m = new RegExp(`^${name}\\{service="default/slow"\\} (\\d+)$`, 'm').exec((await get(metricsUrl)).body)
  assert.ok(m, `${name} for default/slow on /metrics`)
  return Number(m[1])
}
after(async () => {
  await mesh.stop()
  await backend.close()
})

/** `n` requests at once (the backend holds each 30 ms, so each needs its own socket). */
async function burst(n: number): Promise<void> {
  const answers = await Promise.all(Array.from({ length: n }, () => get(url)))
  assert.ok(answers.every(a => a.status === 200))
}

test('connectionPool: a burst\'s surplus sockets close after surplusIdleTimeout, the warm one stays', async () => {
  await burst(6)
  await sleep(50)
  assert.ok(open >= 4, `${open} sockets open on the backend's side after a burst of 6`)
  const idle = await metric('trellis_upstream_connections_idle')
  assert.ok(idle >= 4 && idle <= 6, `${idle} idle upstream connections after a burst of 6`)
  await sleep(600)
  assert.equal(open, 1)                               // 200 ms surplus timeout; the warm socket kept (60 s)
  assert.equal(await metric('trellis_upstream_connections_idle'), 1)
  await burst(1)
  await sleep(50)
  assert.equal(open, 1)                               // reused, not reopened
  assert.equal(await metric('trellis_upstream_connections_opened_total'), accepted)
})

test('connectionPool: a policy update applies to sockets already pooled', async () => {
  await mesh.apply(config('30s'))
  await mesh.settled()
  await burst(6)
  await sleep(3500)                                  // past both the old 200 ms and the default 3 s
  assert.ok(open >= 4, `${open} sockets open 3.5 s after the burst with a 30 s surplus timeout`)
})

test('connectionPool: idleTimeout closes an idle h2c session to an http2 Service\'s instance', async () => {
  let sessions = 0
  const app = createH2Server((_req, res) => res.end('h2'))
  app.on('session', s => { sessions++; s.once('close', () => sessions--) })
  await new Promise<void>(r => app.listen(0, '127.0.0.1', () => r()))
  try {
    await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: modern }
spec:
  protocol: http2
  port: 80
  endpoints: [{ address: "127.0.0.1:${(app.address() as AddressInfo).port}" }]
---
apiVersion: trellis.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: modern }
spec: { targetRef: { kind: Service, name: modern }, connectionPool: { idleTimeout: 300ms } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: slow }, { service: modern }] }
`)
    await mesh.settled()
    const r = await get(`http://127.0.0.1:${client.outboundPort('default/modern')}/`)
    assert.equal(r.status, 200)
    assert.equal(sessions, 1)
    await sleep(1000)
    assert.equal(sessions, 0)                          // closed after 300 ms without a stream (default: 60 s)
  } finally { app.close() }
})
