// TCP services and Gateway stream listeners on real sockets: echo through two sidecars (client
// sidecar → server sidecar → app), load balanced over two replicas; echo through a Gateway TCP
// listener (TCPRoute); TLS passthrough by SNI to two node TLS servers (TLSRoute), garbage refused.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as connectTcp, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { freePort } from '../supervisor/free-port.js'
import { makeCert, type TestCert } from './harness/certs.js'
import { TestMesh } from './harness/mesh.js'

const mesh = new TestMesh()
const dir = mkdtempSync(join(tmpdir(), 'trellis-tcp-'))
const servers: Server[] = []
let tcpPort = 0, tlsPort = 0, termPort = 0, outboundPort = 0
let certA: TestCert, certB: TestCert, certT: TestCert

/** A TCP app that answers every chunk with `name:` + the chunk, and ends when the client ends. */
async function echoApp(name: string): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, s => {
    s.on('data', d => s.write(`${name}:${d}`))
    s.on('end', () => s.end())
    s.on('error', () => s.destroy())
  })
  servers.push(server)
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return (server.address() as AddressInfo).port
}

async function tlsApp(name: string, cert: TestCert): Promise<number> {
  const server = createTlsServer({ cert: cert.cert, key: cert.key }, s => {
    s.on('data', d => s.write(`${name}:${d}`))
    s.on('error', () => s.destroy())
  })
  servers.push(server as unknown as Server)
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return (server.address() as AddressInfo).port
}

/** Sends `msg`, half-closes, returns everything read until the peer closes (bounded in time). */
function exchange(socket: Socket | TLSSocket, msg: string, end = true): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`timeout; got "${got}"`)) }, 5000)
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      got += d
      if (!end && got.length >= msg.length) { clearTimeout(timer); socket.end(); resolve(got) }
    })
    socket.on('close', () => { clearTimeout(timer); resolve(got) })
    socket.on('end', () => { clearTimeout(timer); socket.end(); resolve(got) })
    socket.on('error', () => {})
    socket.write(msg)
    if (end) socket.end()
  })
}

const tcp = (port: number) => connectTcp({ port, host: '127.0.0.1', allowHalfOpen: true })

before(async () => {
  certA = makeCert(dir, 'a', 'a.example.com')
  certB = makeCert(dir, 'b', 'x.b.example.com', ['*.b.example.com'])
  certT = makeCert(dir, 't', 'app.term.example.com')
  const [pa, pb] = [await tlsApp('tls-a', certA), await tlsApp('tls-b', certB)]
  const plain = await echoApp('plain')
  tcpPort = await freePort(); tlsPort = await freePort(); termPort = await freePort()
  await mesh.start()
  await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: echo }
spec: { protocol: tcp, port: 9000, selector: { app: echo } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: tls-a }
spec: { protocol: tcp, port: 443, endpoints: [{ address: "127.0.0.1:${pa}" }] }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: tls-b }
spec: { protocol: tcp, port: 443, endpoints: [{ address: "127.0.0.1:${pb}" }] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: echo, labels: { app: echo } }
spec: { command: [x], replicas: 2 }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec: { command: [x], upstreams: [{ service: echo }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
    - { name: tcp, port: ${tcpPort}, protocol: TCP }
    - { name: tls, port: ${tlsPort}, protocol: TLS, tls: { mode: Passthrough } }
    - name: term
      port: ${termPort}
      protocol: TLS
      hostname: "*.term.example.com"
      tls: { mode: Terminate, certificateRefs: [{ name: term-cert }] }
---
apiVersion: trellis.dev/v1alpha1
kind: Certificate
metadata: { name: term-cert }
spec: { certFile: ${certT.certFile}, keyFile: ${certT.keyFile} }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: plain-echo }
spec: { protocol: tcp, port: 7000, endpoints: [{ address: "127.0.0.1:${plain}" }] }
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: term }
spec:
  parentRefs: [{ name: edge, sectionName: term }]
  hostnames: [app.term.example.com]
  rules: [{ backendRefs: [{ name: plain-echo, port: 7000 }] }]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: { name: echo }
spec:
  parentRefs: [{ name: edge, sectionName: tcp }]
  rules: [{ backendRefs: [{ name: echo, port: 9000 }] }]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: a }
spec:
  parentRefs: [{ name: edge, sectionName: tls }]
  hostnames: [a.example.com]
  rules: [{ backendRefs: [{ name: tls-a }] }]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: { name: b }
spec:
  parentRefs: [{ name: edge, sectionName: tls }]
  hostnames: ["*.b.example.com"]
  rules: [{ backendRefs: [{ name: tls-b }] }]
`)
  const client = await mesh.replica('client', 0)
  await mesh.sidecar('echo', 0, await echoApp('echo-0'))
  await mesh.sidecar('echo', 1, await echoApp('echo-1'))
  await mesh.gateway('edge')
  await mesh.settled()
  outboundPort = client.sidecar.outboundPort('default/echo')
})

after(async () => {
  await mesh.stop()
  for (const s of servers) s.close()
  rmSync(dir, { recursive: true, force: true })
})

test('TCP echo through two sidecars, balanced over both replicas, half-close passed on', async () => {
  assert.ok(outboundPort > 0)
  const seen = new Set<string>()
  // LeastRequest breaks ties at random: with sequential connections each replica is a coin toss, so
  // enough of them that both replicas answer but by a chance of 2^-39 (8 failed about 1 run in 128).
  for (let i = 0; i < 40; i++) {
    const got = await exchange(tcp(outboundPort), `hello ${i}`)
    const m = /^(echo-\d):hello \d+$/.exec(got)
    assert.ok(m, `unexpected reply "${got}"`)
    seen.add(m[1])
  }
  assert.deepEqual([...seen].sort(), ['echo-0', 'echo-1'])
})

test('a large TCP stream passes both ways intact', async () => {
  const big = 'x'.repeat(2_000_000)
  const got = await exchange(tcp(outboundPort), big)
  assert.equal(got.length, big.length + 'echo-0:'.length * (got.split(':').length - 1))
  assert.equal(got.replace(/echo-\d:/g, ''), big)
})

test('TCP echo through a Gateway TCP listener (TCPRoute)', async () => {
  const got = await exchange(tcp(tcpPort), 'via gateway')
  assert.match(got, /^echo-\d:via gateway$/)
})

test('TLS passthrough picks the backend by SNI (exact and wildcard); the client sees the backend certificate', async () => {
  const cases = [
    { servername: 'a.example.com', ca: certA.cert, want: 'tls-a', cn: 'a.example.com' },
    { servername: 'y.b.example.com', ca: certB.cert, want: 'tls-b', cn: 'x.b.example.com' },
  ]
  for (const c of cases) {
    const s = connectTls({ port: tlsPort, host: '127.0.0.1', servername: c.servername, ca: c.ca })
    await new Promise<void>((resolve, reject) => { s.once('secureConnect', () => resolve()); s.once('error', reject) })
    assert.equal(s.getPeerCertificate().subject.CN, c.cn)
    assert.equal(await exchange(s, 'ping', false), `${c.want}:ping`)
  }
})

test('TLS passthrough: an unknown name, no ClientHello or garbage closes the connection; the gateway keeps serving', async () => {
  const unknown = connectTls({ port: tlsPort, host: '127.0.0.1', servername: 'nope.example.com', rejectUnauthorized: false })
  const err = await new Promise<Error | null>(resolve => { unknown.once('secureConnect', () => resolve(null)); unknown.once('error', resolve) })
  assert.ok(err, 'handshake should fail')
  const garbage = await exchange(tcp(tlsPort), 'GET / HTTP/1.1\r\nhost: a.example.com\r\n\r\n', false).catch(e => String(e))
  assert.equal(garbage, '')
  const random = tcp(tlsPort)
  random.write(Buffer.from([22, 3, 1, 0xff, 0xff, 1, 2, 3]))
  assert.equal(await exchange(random, '', false).catch(e => String(e)), '')
  const s = connectTls({ port: tlsPort, host: '127.0.0.1', servername: 'a.example.com', ca: certA.cert })
  await new Promise<void>((resolve, reject) => { s.once('secureConnect', () => resolve()); s.once('error', reject) })
  assert.equal(await exchange(s, 'still', false), 'tls-a:still')
})

test('a TLS listener in Terminate mode ends TLS with its certificate and routes the plain stream by SNI', async () => {
  const s = connectTls({ port: termPort, host: '127.0.0.1', servername: 'app.term.example.com', ca: certT.cert })
  await new Promise<void>((resolve, reject) => { s.once('secureConnect', () => resolve()); s.once('error', reject) })
  assert.equal(s.authorized, true, 'the client verified the listener\'s certificate for the name')
  assert.equal(await exchange(s, 'hi', false), 'plain:hi', 'the backend got plaintext')
  // A name no TLSRoute of the listener has: the handshake succeeds, then the connection closes.
  const other = connectTls({ port: termPort, host: '127.0.0.1', servername: 'other.term.example.com', rejectUnauthorized: false })
  assert.equal(await exchange(other, 'hi'), '')
  // Not TLS at all: closed without an answer.
  assert.equal(await exchange(tcp(termPort), 'GET / HTTP/1.1\r\n\r\n'), '')
})

test('an AuthorizationPolicy on a Gateway stream listener judges whole connections (callers are anonymous)', async () => {
  const policy = `apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: { name: tcp-members-only }
spec:
  targetRef: { kind: Gateway, name: edge, sectionName: tcp }
  rules: [{ from: [{ identities: ["gateway:member"] }] }]
`
  await mesh.apply(policy)
  await mesh.settled()
  assert.equal(await exchange(tcp(tcpPort), 'hi'), '', 'an anonymous caller is refused')
  await mesh.apply(policy, 'delete')
  await mesh.settled()
  assert.match(await exchange(tcp(tcpPort), 'hi'), /^echo-[01]:hi$/)
})
