// HTTPS at the Gateway offers h2 and http/1.1 by ALPN: an h2 client and an HTTP/1.1 client are both
// routed and answered on one port; a gRPC client over TLS reaches a grpc Service through the
// gateway and the app's sidecar (h2 at the edge, h2c inside the mesh); WebSocket over TLS (wss,
// HTTP/1.1 Upgrade) still tunnels.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { connect, type ClientHttp2Session } from 'node:http2'
import { request, type RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import { freePort } from '../supervisor/free-port.js'
import { makeCert, type TestCert } from './harness/certs.js'
import { EchoClient, startEchoServer } from './harness/grpc-echo.js'
import { TestMesh } from './harness/mesh.js'
import { openWebSocket, startWebSocketApp } from './harness/websocket.js'

const mesh = new TestMesh()
const dir = mkdtempSync(join(tmpdir(), 'trellis-h2-'))
let port = 0
let cert: TestCert
let echo: grpc.Server
let chat: { server: Server; port: number }
const HOSTS = ['api.example.com', 'grpc.example.com', 'chat.example.com']

before(async () => {
  cert = makeCert(dir, 'edge', 'api.example.com', HOSTS)
  port = await freePort()
  await mesh.start()
  await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Certificate
metadata: { name: edge }
spec: { certFile: ${cert.certFile}, keyFile: ${cert.keyFile} }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: 80, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: echo }
spec: { protocol: grpc, port: 50051, selector: { app: echo } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: echo, labels: { app: echo } }
spec: { command: [x] }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: chat }
spec: { port: 80, selector: { app: chat } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: chat, labels: { app: chat } }
spec: { command: [x] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
    - { name: https, port: ${port}, protocol: HTTPS, tls: { certificateRefs: [{ name: edge }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [api.example.com]
  rules:
    - filters: [{ type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-route, value: api }] } }]
      backendRefs: [{ name: api, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: chat }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [chat.example.com]
  rules: [{ backendRefs: [{ name: chat, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [grpc.example.com]
  rules:
    - matches: [{ method: { service: test.Echo } }]
      backendRefs: [{ name: echo, port: 50051 }]
`)
  await mesh.replica('api', 0)
  const e = await startEchoServer('echo-0')
  echo = e.server
  await mesh.sidecar('echo', 0, e.port)
  chat = await startWebSocketApp('chat-0')
  await mesh.sidecar('chat', 0, chat.port)
  await mesh.gateway('edge')
  await mesh.settled()
})

after(async () => {
  echo?.forceShutdown()
  await mesh.stop()
  chat?.server.close(); chat?.server.closeAllConnections()
  rmSync(dir, { recursive: true, force: true })
})

function h2Get(session: ClientHttp2Session, authority: string, path: string): Promise<{ headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'GET', ':path': path, ':authority': authority })
    let headers: Record<string, unknown> = {}
    let body = ''
    s.setEncoding('utf8')
    s.on('response', h => { headers = { ...h } })
    s.on('data', c => { body += c })
    s.on('end', () => resolve({ headers, body }))
    s.on('error', reject)
    s.setTimeout(5000, () => s.close())
    s.end()
  })
}

test('an h2 client negotiates h2 by ALPN and is routed and answered; streams share one connection', async () => {
  const session = connect(`https://127.0.0.1:${port}`, { ca: [cert.cert], servername: 'api.example.com' })
  try {
    const [a, b] = await Promise.all([h2Get(session, 'api.example.com', '/one'), h2Get(session, 'api.example.com', '/two?x=1')])
    assert.equal(session.alpnProtocol, 'h2')
    assert.equal(a.headers[':status'], 200)
    assert.equal(a.headers['x-route'], 'api')
    const seen = JSON.parse(a.body)
    assert.equal(seen.name, 'api-0')
    assert.equal(seen.url, '/one')
    assert.equal(seen.headers['x-forwarded-proto'], 'https')
    assert.equal(JSON.parse(b.body).url, '/two?x=1')
    const none = await h2Get(session, 'nowhere.example.com', '/')
    assert.equal(none.headers[':status'], 404)
    assert.equal(none.headers['x-trellis-reason'], 'no_route')
  } finally { session.close() }
})

test('an HTTP/1.1 client on the same port negotiates http/1.1 and is answered', async () => {
  const got = await new Promise<{ status: number; alpn: string | false | null; body: any }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/h1', servername: 'api.example.com', headers: { host: 'api.example.com' },
      ca: [cert.cert], agent: false, timeout: 5000, ALPNProtocols: ['http/1.1'] } as RequestOptions, res => {
      const alpn = (res.socket as TLSSocket).alpnProtocol
      let data = ''
      res.setEncoding('utf8')
      res.on('data', c => { data += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, alpn, body: JSON.parse(data) }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
  assert.equal(got.status, 200)
  assert.equal(got.alpn, 'http/1.1')
  assert.equal(got.body.url, '/h1')
})

test('a gRPC client over TLS reaches a grpc Service through gateway → sidecar: unary and bidirectional streaming', async () => {
  const client = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(cert.cert), {
    'grpc.ssl_target_name_override': 'grpc.example.com', 'grpc.default_authority': 'grpc.example.com',
  })
  try {
    const res = await new Promise<{ text: string; from: string }>((resolve, reject) => {
      ;(client as unknown as Record<string, Function>).unary({ text: 'tls' }, { deadline: Date.now() + 5000 },
        (err: Error | null, r: { text: string; from: string }) => (err ? reject(err) : resolve(r)))
    })
    assert.deepEqual(res, { text: 'tls', from: 'echo-0' })
    const replies: string[] = []
    await new Promise<void>((resolve, reject) => {
      const call = (client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, { text: string }>>).bidi()
      call.on('data', m => { replies.push(m.text); if (replies.length < 3) call.write({ text: `m${replies.length}` }); else call.end() })
      call.on('end', () => resolve())
      call.on('error', reject)
      call.write({ text: 'm0' })
    })
    assert.deepEqual(replies, ['M0', 'M1', 'M2'])
    await assert.rejects(new Promise((resolve, reject) => {
      ;(client as unknown as Record<string, Function>).unknown({ text: 'x' }, { deadline: Date.now() + 5000 },
        (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r)))
    }), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND && err.details === 'nope')
  } finally { client.close() }
})

test('WebSocket over TLS (HTTP/1.1 Upgrade) tunnels through the HTTPS listener', async () => {
  const ws = await openWebSocket(port, 'chat.example.com', '/ws', { ca: [cert.cert] })
  try {
    assert.equal(ws.status, 101)
    assert.equal(await ws.send('hello'), 'chat-0:hello')
    assert.equal(await ws.send('again'), 'chat-0:again')
  } finally { ws.socket.destroy() }
})
