// gRPC through two sidecars (h2c end to end) with a real @grpc/grpc-js client and server: all four
// call kinds, trailers and grpc-status carried through, deadlines, GRPCRoute matching, and
// mesh-made errors as gRPC statuses.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import * as grpc from '@grpc/grpc-js'
import { connect } from 'node:http2'
import { TestMesh } from './harness/mesh.js'
import { EchoClient, startEchoServer, type EchoServer } from './harness/grpc-echo.js'
import { probe } from '../dataplane/upstream/health-checker.js'
import { eventually } from './harness/http.js'

const CONFIG = `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: echo }
spec: { protocol: grpc, port: 50051, selector: { app: echo } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: echo-v2 }
spec: { protocol: grpc, port: 50051, selector: { app: echo, version: v2 } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: echo-v1 }
spec: { protocol: grpc, port: 50051, selector: { app: echo, version: v1 } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: nowhere }
spec: { protocol: grpc, port: 50051, selector: { app: nothing } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: echo-v1, labels: { app: echo, version: v1 } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: echo-v2, labels: { app: echo, version: v2 } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: echo }, { service: nowhere }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo }
spec:
  parentRefs: [{ kind: Service, name: echo, port: 50051 }]
  rules:
    - matches: [{ method: { service: test.Echo, method: Bidi } }]
      backendRefs: [{ name: echo-v2, port: 50051 }]
    - matches: [{ method: { service: test.Echo } }]
      backendRefs: [{ name: echo-v1, port: 50051 }]
`

const mesh = new TestMesh()
const servers: grpc.Server[] = []
const echo: EchoServer[] = []
let client: InstanceType<typeof EchoClient>
let nowhere: InstanceType<typeof EchoClient>

type Call = (req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: { text: string; from: string }) => void) => void
function unary(c: InstanceType<typeof EchoClient>, name: string, req: unknown, deadlineMs = 5000): Promise<{ text: string; from: string }> {
  return new Promise((resolve, reject) => {
    ;(c as unknown as Record<string, Call>)[name](req, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)))
  })
}

before(async () => {
  await mesh.start()
  await mesh.apply(CONFIG)
  const app = await mesh.replica('client', 0)
  for (const [w, name] of [['echo-v1', 'v1'], ['echo-v2', 'v2']]) {
    const s = await startEchoServer(name)
    servers.push(s.server)
    echo.push(s)
    await mesh.sidecar(w, 0, s.port)
  }
  await mesh.settled()
  client = new EchoClient(`127.0.0.1:${app.sidecar.outboundPort('default/echo')}`, grpc.credentials.createInsecure())
  nowhere = new EchoClient(`127.0.0.1:${app.sidecar.outboundPort('default/nowhere')}`, grpc.credentials.createInsecure())
})
after(async () => {
  client?.close(); nowhere?.close()
  for (const s of servers) s.forceShutdown()
  await mesh.stop()
})

test('unary calls go through two sidecars; GRPCRoute sends test.Echo to v1', async () => {
  const res = await unary(client, 'unary', { text: 'hi' })
  assert.deepEqual(res, { text: 'hi', from: 'v1' })
})

test('an application error status and message come back as sent (trailers carried through)', async () => {
  await assert.rejects(unary(client, 'unknown', { text: 'x' }), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND && err.details === 'nope')
})

test('server streaming and client streaming', async () => {
  const got: string[] = []
  await new Promise<void>((resolve, reject) => {
    const call = (client as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<{ text: string }>>).serverStream({ text: 's' })
    call.on('data', m => got.push(m.text))
    call.on('end', () => resolve())
    call.on('error', reject)
  })
  assert.deepEqual(got, ['s-0', 's-1', 's-2'])
  const joined = await new Promise<string>((resolve, reject) => {
    const call = (client as unknown as Record<string, (cb: (e: Error | null, r: { text: string }) => void) => grpc.ClientWritableStream<unknown>>)
      .clientStream((err, res) => (err ? reject(err) : resolve(res.text)))
    for (const t of ['a', 'b', 'c']) call.write({ text: t })
    call.end()
  })
  assert.equal(joined, 'a+b+c')
})

test('bidirectional streaming, routed to v2 by the method match', async () => {
  const replies: { text: string; from: string }[] = []
  await new Promise<void>((resolve, reject) => {
    const call = (client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, { text: string; from: string }>>).bidi()
    call.on('data', m => { replies.push(m); if (replies.length < 3) call.write({ text: `m${replies.length}` }); else call.end() })
    call.on('end', () => resolve())
    call.on('error', reject)
    call.write({ text: 'm0' })
  })
  assert.deepEqual(replies.map(r => r.text), ['M0', 'M1', 'M2'])
  assert.ok(replies.every(r => r.from === 'v2'))
})

test('a deadline shorter than the call is honoured: DEADLINE_EXCEEDED', async () => {
  const started = Date.now()
  await assert.rejects(unary(client, 'slow', { text: 'z', delayMs: 2000 }, 300), (err: grpc.ServiceError) => err.code === grpc.status.DEADLINE_EXCEEDED)
  assert.ok(Date.now() - started < 1900, 'did not wait for the slow server')
})

test('mesh-made errors are gRPC statuses: no endpoint → UNAVAILABLE with x-trellis-reason', async () => {
  await assert.rejects(unary(nowhere, 'unary', { text: 'x' }), (err: grpc.ServiceError) =>
    err.code === grpc.status.UNAVAILABLE && err.metadata.get('x-trellis-reason')[0] === 'unavailable')
})

test('a method that matches no GRPCRoute gets UNIMPLEMENTED from the mesh', async () => {
  const other = new grpc.Client(`127.0.0.1:${mesh.sidecars[0].outboundPort('default/echo')}`, grpc.credentials.createInsecure())
  try {
    await assert.rejects(new Promise((resolve, reject) => {
      other.makeUnaryRequest('/other.Service/Call', (x: Buffer) => x, (x: Buffer) => x, Buffer.from('{}'), (err, res) => (err ? reject(err) : resolve(res)))
    }), (err: grpc.ServiceError) => err.code === grpc.status.UNIMPLEMENTED && err.metadata.get('x-trellis-reason')[0] === 'no_route')
  } finally { other.close() }
})

test('the mesh itself enforces grpc-timeout: DEADLINE_EXCEEDED from the sidecar, not the client', async () => {
  const session = connect(`http://127.0.0.1:${mesh.sidecars[0].outboundPort('default/echo')}`)
  try {
    const msg = Buffer.from(JSON.stringify({ text: 'z', delayMs: 2000 }))
    const frame = Buffer.alloc(5)
    frame.writeUInt32BE(msg.length, 1)
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const s = session.request({ ':method': 'POST', ':path': '/test.Echo/Slow', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '200m' })
      let got: Record<string, unknown> = {}
      s.on('response', h => { got = { ...h } })
      s.on('trailers', t => { got = { ...got, ...t } })
      s.on('end', () => resolve(got))
      s.on('error', reject)
      s.resume()
      s.end(Buffer.concat([frame, msg]))
    })
    assert.equal(headers['grpc-status'], '4')
    assert.equal(headers['x-trellis-reason'], 'timeout')
  } finally { session.close() }
})

test('the gRPC health protocol: SERVING passes, NOT_SERVING fails', async () => {
  const cfg = { path: null, intervalMs: 100, timeoutMs: 1000, unhealthyThreshold: 1, healthyThreshold: 1 }
  const [v1] = echo
  assert.equal(await probe({ host: '127.0.0.1', port: v1.port }, cfg, 'grpc'), true)
  v1.health.status = 2
  assert.equal(await probe({ host: '127.0.0.1', port: v1.port }, cfg, 'grpc'), false)
  v1.health.status = 1
})

test('a grpc Service health check drives readiness through the gRPC health protocol', async () => {
  await mesh.apply(CONFIG.replace('spec: { protocol: grpc, port: 50051, selector: { app: echo, version: v1 } }',
    'spec: { protocol: grpc, port: 50051, selector: { app: echo, version: v1 }, healthCheck: { interval: 100ms, timeout: 500ms, unhealthyThreshold: 2, healthyThreshold: 1 } }'))
  await mesh.settled()
  const [v1] = echo
  v1.health.status = 2 // NOT_SERVING
  await eventually('echo-v1 out of rotation', async () => mesh.cp.registry.instances().some(i => i.workload === 'default/echo-v1' && !i.ready), 5000)
  v1.health.status = 1
  await eventually('echo-v1 back', async () => mesh.cp.registry.instances().some(i => i.workload === 'default/echo-v1' && i.ready), 5000)
})
