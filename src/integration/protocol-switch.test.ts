// A listener that changes protocol on its port (an upstream Service turning tcp or back, a Gateway
// port turning TCP, a Gateway TLS port switching between Passthrough and Terminate) keeps the port:
// connections open before the change finish under the old protocol (up to the Mesh's
// drainTimeout), and new connections get the new one at once.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type Server, type ServerResponse } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { makeCert } from './harness/certs.js'
import { TestMesh } from './harness/mesh.js'
import { docs, resource, service, workload } from './harness/fixtures.js'
import { eventually } from './harness/http.js'
import { freePort } from '../supervisor/free-port.js'

const MESH = resource('Mesh', 'default', '{ drainTimeout: 60s }')
const GATEWAY_API = 'apiVersion: gateway.networking.k8s.io/v1'

interface Reply { status: number; headers: Record<string, unknown> }

/** An app that echoes each request's headers as JSON, and holds `/slow` until release(). */
interface HeldApp { server: Server; port: number; held: ServerResponse[]; release(): void }

async function startHeldApp(): Promise<HeldApp> {
  const held: ServerResponse[] = []
  const server = createServer((req, res) => {
    if (req.url === '/slow') { held.push(res); return }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ url: req.url, headers: req.headers }))
  })
  server.keepAliveTimeout = 120_000                       // a tunnelled connection outlives the switch
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return {
    server, port: (server.address() as AddressInfo).port, held,
    release: () => { for (const res of held.splice(0)) res.end(JSON.stringify({ url: '/slow', headers: {} })) },
  }
}

/** One request on a connection of its own. */
function fresh(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', c => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.statusCode === 200 ? JSON.parse(body).headers : {} }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

/** One keep-alive request on an already open socket; the app's JSON answer is read by its content-length. */
function onSocket(socket: Socket, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const onData = (d: Buffer) => {
      buf += d.toString('latin1')
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? -1)
      if (length < 0 || buf.length < end + 4 + length) return
      socket.off('data', onData); socket.off('close', onClose); socket.off('end', onClose)
      resolve({ status: Number(buf.slice(9, 12)), headers: JSON.parse(buf.slice(end + 4, end + 4 + length)).headers })
    }
    const onClose = () => reject(new Error(`connection closed; got ${JSON.stringify(buf)}`))
    if (socket.destroyed || socket.readableEnded) { onClose(); return }
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('end', onClose)
    socket.write(`GET ${path} HTTP/1.1\r\nhost: api\r\n\r\n`)
  })
}

const mesh = new TestMesh()
before(async () => { await mesh.start() })
after(() => mesh.stop())

test('an upstream turning tcp keeps its port: a request in flight finishes over HTTP, new connections are tunnelled', async () => {
  const port = await freePort()
  const app = await startHeldApp()
  const cfg = (protocol: string) => docs(MESH, service('api', { spec: `protocol: ${protocol}` }), workload('api'),
    workload('client', { spec: `upstreams: [{ service: api, localPort: ${port} }]` }))
  try {
    await mesh.apply(cfg('http'))
    await mesh.sidecar('api', 0, app.port)
    const client = (await mesh.replica('client', 0)).sidecar
    await mesh.settled()
    const proxied = await fresh(port, '/before')
    assert.equal(proxied.status, 200)
    assert.ok(proxied.headers['x-request-id'], 'served as HTTP by the sidecar')

    const inFlight = fresh(port, '/slow')
    await eventually('the slow request reached the app', async () => app.held.length === 1)
    const v = await mesh.apply(cfg('tcp'))
    await eventually('the client acked the switch', async () => client.ackedVersion >= v)
    assert.equal(client.outboundPort('default/api'), port)
    // Tunnelled byte for byte (once the app's sidecar has switched too), the app sees the request as sent.
    await eventually('a new connection is tunnelled', async () => {
      const r = await fresh(port, '/after').catch(() => null)
      return r !== null && r.status === 200 && r.headers['x-request-id'] === undefined
    })
    app.release()
    assert.equal((await inFlight).status, 200, 'the request in flight when the protocol changed finished')
  } finally {
    app.server.closeAllConnections()
    app.server.close()
  }
})

test('an upstream turning http keeps its port: an open tunnel goes on as it was, new connections are served as HTTP', async () => {
  const port = await freePort()
  const app = await startHeldApp()
  const cfg = (protocol: string) => docs(MESH, service('api2', { spec: `protocol: ${protocol}` }), workload('api2'),
    workload('client2', { spec: `upstreams: [{ service: api2, localPort: ${port} }]` }))
  try {
    await mesh.apply(cfg('tcp'))
    await mesh.sidecar('api2', 0, app.port)
    const client = (await mesh.replica('client2', 0)).sidecar
    await mesh.settled()
    const open = connect(port, '127.0.0.1')
    open.on('error', () => {})
    const first = await onSocket(open, '/one')
    assert.equal(first.status, 200)
    assert.equal(first.headers['x-request-id'], undefined, 'tunnelled as raw TCP')

    const v = await mesh.apply(cfg('http'))
    await eventually('the client acked the switch', async () => client.ackedVersion >= v)
    assert.equal(client.outboundPort('default/api2'), port)
    const proxied = await fresh(port, '/new')
    assert.equal(proxied.status, 200)
    assert.ok(proxied.headers['x-request-id'], 'a new connection is served as HTTP')
    const again = await onSocket(open, '/two')
    assert.equal(again.status, 200, 'the tunnel opened before the switch still carries bytes')
    assert.equal(again.headers['x-request-id'], undefined, 'still a raw tunnel')
    open.destroy()
  } finally {
    app.server.closeAllConnections()
    app.server.close()
  }
})

test('a Gateway port turning TCP keeps its socket: a request in flight finishes over HTTP, new connections are TCP', async () => {
  const port = await freePort()
  const app = await startHeldApp()
  const services = docs(
    resource('Service', 'web', `{ port: 80, endpoints: [{ address: "127.0.0.1:${app.port}" }] }`),
    resource('Service', 'raw', `{ protocol: tcp, port: 80, endpoints: [{ address: "127.0.0.1:${app.port}" }] }`))
  const http = docs(MESH, services,
    `${GATEWAY_API}\nkind: Gateway\nmetadata: { name: edge }\nspec: { listeners: [{ name: main, port: ${port}, protocol: HTTP }] }\n`,
    `${GATEWAY_API}\nkind: HTTPRoute\nmetadata: { name: web }\nspec: { parentRefs: [{ name: edge }], rules: [{ backendRefs: [{ name: web, port: 80 }] }] }\n`)
  const tcp = docs(MESH, services,
    `${GATEWAY_API}\nkind: Gateway\nmetadata: { name: edge }\nspec: { listeners: [{ name: main, port: ${port}, protocol: TCP }] }\n`,
    'apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: { name: raw }\nspec: { parentRefs: [{ name: edge, sectionName: main }], rules: [{ backendRefs: [{ name: raw, port: 80 }] }] }\n')
  try {
    await mesh.apply(http)
    const gw = await mesh.gateway('edge')
    await eventually('the gateway serves HTTP', async () => {
      const r = await fresh(port, '/before').catch(() => null)
      return r !== null && r.status === 200 && r.headers['x-request-id'] !== undefined
    })
    const inFlight = fresh(port, '/slow')
    await eventually('the slow request reached the app', async () => app.held.length === 1)
    const v = await mesh.apply(tcp, 'replace')                // without the HTTPRoute, which needs an HTTP listener
    await eventually('the gateway acked the switch', async () => gw.ackedVersion >= v)
    const raw = await fresh(port, '/after')
    assert.equal(raw.status, 200)
    assert.equal(raw.headers['x-request-id'], undefined, 'a new connection is tunnelled as TCP')
    app.release()
    assert.equal((await inFlight).status, 200, 'the request in flight when the protocol changed finished')
  } finally {
    app.server.closeAllConnections()
    app.server.close()
  }
})

/** A TCP server answering every chunk with `name:` + the chunk, plain or (with `tls`) over TLS. */
async function echoServer(name: string, tls: { cert: Buffer; key: Buffer } | null): Promise<{ server: Server; port: number }> {
  const onSocket = (s: Socket) => { s.on('data', d => s.write(`${name}:${d}`)); s.on('error', () => s.destroy()) }
  const server = (tls ? createTlsServer(tls, onSocket) : createNetServer(onSocket)) as unknown as Server
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return { server, port: (server.address() as AddressInfo).port }
}

/** Sends `msg` on an open connection and resolves with the first answer. */
function say(s: Socket, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error(`closed before answering ${msg}`))
    s.once('data', d => { s.off('close', onClose); resolve(d.toString()) })
    s.once('close', onClose)
    s.write(msg)
  })
}

test('a Gateway TLS port switching between Passthrough and Terminate serves new connections in the new mode; connections opened before finish in the old one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-tls-mode-'))
  // One name, two certificates: the client sees which side ended its TLS.
  const appCert = makeCert(dir, 'app', 'app.example.com', ['app.example.com'], 'the-app')
  const gatewayCert = makeCert(dir, 'gateway', 'app.example.com', ['app.example.com'], 'the-gateway')
  const tlsApp = await echoServer('tls', appCert)
  const plainApp = await echoServer('plain', null)
  const port = await freePort()
  const cfg = (mode: 'Passthrough' | 'Terminate') => docs(MESH,
    resource('Service', 'tls-app', `{ protocol: tcp, port: 443, endpoints: [{ address: "127.0.0.1:${tlsApp.port}" }] }`),
    resource('Service', 'plain-app', `{ protocol: tcp, port: 443, endpoints: [{ address: "127.0.0.1:${plainApp.port}" }] }`),
    resource('Certificate', 'gateway-cert', `{ certFile: ${gatewayCert.certFile}, keyFile: ${gatewayCert.keyFile} }`),
    `${GATEWAY_API}\nkind: Gateway\nmetadata: { name: tls-edge }\nspec: { listeners: [{ name: tls, port: ${port}, protocol: TLS, tls: ${
      mode === 'Passthrough' ? '{ mode: Passthrough }' : '{ mode: Terminate, certificateRefs: [{ name: gateway-cert }] }'} }] }\n`,
    `apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: { name: tls-app }\nspec: { parentRefs: [{ name: tls-edge }], hostnames: [app.example.com], rules: [{ backendRefs: [{ name: ${
      mode === 'Passthrough' ? 'tls-app' : 'plain-app'}, port: 443 }] }] }\n`)
  /** A new TLS connection to the port: who answered its handshake, and what answers its bytes. */
  const open = () => new Promise<TLSSocket>((resolve, reject) => {
    const s = connectTls({ port, host: '127.0.0.1', servername: 'app.example.com', ca: [appCert.cert, gatewayCert.cert] })
    s.once('secureConnect', () => { s.off('error', reject); s.on('error', () => {}); resolve(s) })
    s.once('error', reject)
  })
  const endedBy = (s: TLSSocket) => s.getPeerCertificate().subject.O
  try {
    await mesh.apply(cfg('Passthrough'))
    const gw = await mesh.gateway('tls-edge')
    const passthrough = await eventually('the port passes TLS through', () => open().catch(() => null))
    assert.equal(endedBy(passthrough), 'the-app')
    assert.equal(await say(passthrough, 'one'), 'tls:one')

    let v = await mesh.apply(cfg('Terminate'))
    await eventually('the gateway acked Terminate', async () => gw.ackedVersion >= v)
    const terminated = await open()
    assert.equal(endedBy(terminated), 'the-gateway', 'a new connection has its TLS ended at the gateway')
    assert.equal(await say(terminated, 'two'), 'plain:two', 'and its plaintext sent on')
    assert.equal(await say(passthrough, 'still'), 'tls:still', 'the connection opened before goes on, passed through')
    passthrough.end()
    await new Promise(r => passthrough.once('close', r))

    v = await mesh.apply(cfg('Passthrough'))
    await eventually('the gateway acked Passthrough', async () => gw.ackedVersion >= v)
    const back = await open()
    assert.equal(endedBy(back), 'the-app', 'new connections are passed through again')
    assert.equal(await say(back, 'three'), 'tls:three')
    assert.equal(await say(terminated, 'still'), 'plain:still', 'the terminated connection goes on, terminated')
    back.destroy()
    terminated.end()
    await new Promise(r => terminated.once('close', r))
  } finally {
    for (const app of [tlsApp, plainApp]) app.server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
