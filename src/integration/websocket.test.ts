// WebSocket (HTTP/1.1 Upgrade) through gateway → app sidecar → app: handshake relayed, frames
// echoed both ways, an idle tunnel closed after ClientTrafficPolicy timeouts.idle; no route → 404;
// `Upgrade: h2c` ignored (served as a plain request).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import { freePort } from '../supervisor/free-port.js'
import { TestMesh } from './harness/mesh.js'
import { openWebSocket, startWebSocketApp } from './harness/websocket.js'

const mesh = new TestMesh()
let port = 0
let app: { server: Server; port: number; upgrades: string[] }

before(async () => {
  port = await freePort()
  app = await startWebSocketApp('chat-0')
  await mesh.start()
  await mesh.apply(`
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
  listeners: [{ name: http, port: ${port}, protocol: HTTP }]
---
apiVersion: trellis.dev/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: edge }
spec:
  targetRef: { kind: Gateway, name: edge }
  timeouts: { idle: 400ms }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: chat }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [chat.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /ws } }]
      backendRefs: [{ name: chat, port: 80 }]
`)
  await mesh.sidecar('chat', 0, app.port)
  await mesh.gateway('edge')
  await mesh.settled()
})

after(async () => {
  await mesh.stop()
  app.server.close()
  app.server.closeAllConnections()
})

test('WebSocket echo through gateway → sidecar → app', async () => {
  const ws = await openWebSocket(port, 'chat.example.com', '/ws/room?x=1')
  assert.equal(ws.status, 101, ws.head)
  assert.equal(await ws.send('hello'), 'chat-0:hello')
  assert.equal(await ws.send('again'), 'chat-0:again')
  assert.equal(app.upgrades.at(-1), '/ws/room?x=1')
  ws.socket.destroy()
})

test('an idle tunnel is closed after timeouts.idle', async () => {
  const ws = await openWebSocket(port, 'chat.example.com', '/ws/idle')
  assert.equal(ws.status, 101)
  assert.equal(await ws.send('one'), 'chat-0:one')
  const started = Date.now()
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('tunnel not closed')), 5000)
    ws.socket.once('close', () => { clearTimeout(t); resolve() })
  })
  assert.ok(Date.now() - started >= 300, 'closed too early')
})

test('an Upgrade without a matching route gets 404 no_route', async () => {
  const ws = await openWebSocket(port, 'chat.example.com', '/other')
  assert.equal(ws.status, 404)
  assert.match(ws.head, /x-trellis-reason: no_route/)
  ws.socket.destroy()
})

test('Upgrade: h2c is ignored: the request is served as plain HTTP/1.1', async () => {
  const socket = connect(port, '127.0.0.1')
  const reply = await new Promise<string>((resolve, reject) => {
    let got = ''
    const t = setTimeout(() => { socket.destroy(); reject(new Error(`no reply: ${got}`)) }, 5000)
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { got += d; if (got.includes('}')) { clearTimeout(t); resolve(got) } })
    socket.write('GET /ws/plain HTTP/1.1\r\nhost: chat.example.com\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n')
  })
  socket.destroy()
  assert.match(reply, /^HTTP\/1\.1 200 /)
  assert.match(reply, /"url":"\/ws\/plain"/)
  assert.match(reply, /"upgrade":null/)
})
