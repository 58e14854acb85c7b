// HTTPS at the Gateway: two listeners share a port with different hostnames and Certificates; SNI
// picks the certificate, routing works, x-forwarded-proto is https, and replacing the PEM files on
// disk switches the certificate for new connections while an open keep-alive connection keeps working.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { connect, type TLSSocket } from 'node:tls'
import { connect as tcpConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../supervisor/free-port.js'
import { makeCert, type TestCert } from './harness/certs.js'
import { eventually } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'

const mesh = new TestMesh()
const dir = mkdtempSync(join(tmpdir(), 'trellis-https-'))
let port = 0
let a1: TestCert, a2: TestCert, b: TestCert
let stalled: Socket | null = null

interface Got { status: number; body: any; cn: string; org: string; socket: TLSSocket }

function get(host: string, ca: Buffer[], agent: Agent | false = false): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/hello', servername: host, headers: { host }, ca, agent, timeout: 5000 }, res => {
      let data = ''
      const socket = res.socket as TLSSocket
      const peer = socket.getPeerCertificate()
      res.setEncoding('utf8')
      res.on('data', c => { data += c })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(data), cn: String(peer.subject?.CN), org: String(peer.subject?.O), socket })
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

before(async () => {
  a1 = makeCert(dir, 'a1', 'a.example.com', ['a.example.com'], 'first')
  a2 = makeCert(dir, 'a2', 'a.example.com', ['a.example.com'], 'second')
  b = makeCert(dir, 'b', 'b.example.com')
  copyFileSync(a1.certFile, join(dir, 'a.pem')); copyFileSync(a1.keyFile, join(dir, 'a-key.pem'))
  port = await freePort()
  await mesh.start()
  await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Certificate
metadata: { name: a }
spec: { certFile: ${join(dir, 'a.pem')}, keyFile: ${join(dir, 'a-key.pem')} }
---
apiVersion: trellis.dev/v1alpha1
kind: Certificate
metadata: { name: b }
spec: { certFile: ${b.certFile}, keyFile: ${b.keyFile} }
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
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
    - { name: a, port: ${port}, protocol: HTTPS, hostname: a.example.com, tls: { certificateRefs: [{ name: a }] } }
    - { name: b, port: ${port}, protocol: HTTPS, hostname: b.example.com, tls: { certificateRefs: [{ name: b }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
`)
  await mesh.replica('api', 0)
  await mesh.gateway('edge')
  await mesh.settled()
})

after(async () => {
  stalled?.destroy()
  await mesh.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('SNI picks the certificate of the listener hostname; routing works; x-forwarded-proto is https', async () => {
  const ra = await get('a.example.com', [a1.cert, a2.cert])
  assert.equal(ra.status, 200)
  assert.equal(ra.cn, 'a.example.com')
  assert.equal(ra.org, 'first')
  assert.equal(ra.body.name, 'api-0')
  assert.equal(ra.body.headers['x-forwarded-proto'], 'https')
  const rb = await get('b.example.com', [b.cert])
  assert.equal(rb.status, 200)
  assert.equal(rb.cn, 'b.example.com')
})

test('replacing the files switches the certificate for new connections; an open keep-alive connection keeps working', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const first = await get('a.example.com', [a1.cert, a2.cert], agent)
  assert.equal(first.org, 'first')
  copyFileSync(a2.keyFile, join(dir, 'a-key.pem'))
  copyFileSync(a2.certFile, join(dir, 'a.pem'))
  await eventually('the new certificate', async () => (await get('a.example.com', [a1.cert, a2.cert])).org === 'second', 10_000)
  const again = await get('a.example.com', [a1.cert, a2.cert], agent)
  assert.equal(again.status, 200)
  assert.equal(again.socket, first.socket, 'the keep-alive connection was reused')
  assert.equal(again.org, 'first')
  agent.destroy()
})

/** Writes `bytes` over TLS (ALPN http/1.1) and returns everything read until the server closes. */
function rawTls(host: string, ca: Buffer[], bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: host, ca, ALPNProtocols: ['http/1.1'] }, () => s.write(bytes))
    let text = ''
    s.setEncoding('latin1')
    s.on('data', (c: string) => { text += c })
    s.on('close', () => resolve(text))
    s.on('error', reject)
    s.setTimeout(5000, () => s.destroy(new Error('timeout')))
  })
}

test('HTTP/1.1 over TLS: pipelined requests answered in order by the fast path; HTTP/1.0 still answered by Node', async () => {
  const ca = [a1.cert, a2.cert]
  const two = await rawTls('a.example.com', ca,
    'GET /hello?n=1 HTTP/1.1\r\nHost: a.example.com\r\n\r\nGET /hello?n=2 HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n')
  const heads = two.split(/(?=HTTP\/1\.1 )/).map(r => r.slice(0, r.indexOf('\r\n\r\n')))
  assert.deepEqual(heads.map(h => h.split(' ')[1]), ['200', '200'])
  // Node's server adds `Keep-Alive: timeout=…` to every kept-alive HTTP/1.1 response; the fast path does not.
  assert.ok(!/\r\nkeep-alive:/i.test(heads[0]), heads[0])
  assert.match(heads[1], /\r\nconnection: close/i)
  assert.ok(two.indexOf('n=1') < two.indexOf('n=2'), 'answered in order')
  const old = await rawTls('a.example.com', ca, 'GET /hello HTTP/1.0\r\nHost: a.example.com\r\n\r\n')
  assert.match(old, /^HTTP\/1\.1 200 /)
  assert.match(old, /"x-forwarded-proto":"https"/)
})

test('a head far past the parser\'s limit gets its whole 431, though the client is still sending it', async () => {
  const huge = `GET /hello HTTP/1.1\r\nHost: a.example.com\r\nx-big: ${'a'.repeat(200 * 1024)}\r\n\r\n`
  // Several times: a connection reset under the answer loses it only some of the time.
  for (let i = 0; i < 5; i++) {
    assert.match(await rawTls('a.example.com', [a1.cert, a2.cert], huge), /^HTTP\/1\.1 431 [^]*x-trellis-reason: too_large[^]*\r\n\r\ntoo_large: HPE_HEADER_OVERFLOW\n$/)
  }
})

test('a client that never finishes its TLS handshake is closed, as on every TLS port, not held for good', { timeout: 60_000 }, async () => {
  // Half a ClientHello, then silence: meanwhile the connection holds one of the port's maxConnections.
  await new Promise<void>(resolve => {
    stalled = tcpConnect(port, '127.0.0.1', () => stalled!.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])))
    stalled.on('error', () => {})
    stalled.on('close', () => resolve())
  })
})
