// A Gateway's ClientTrafficPolicy maxConnections, changed while the gateway runs, applies to new
// connections at once on every kind of port (HTTP, TCP, TLS terminated), raised or lowered, and
// counts the connections already open: no restart, and no connection is cut by the change.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { freePort } from '../supervisor/free-port.js'
import { makeCert, type TestCert } from './harness/certs.js'
import { docs, resource } from './harness/fixtures.js'
import { eventually } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'
import type { GatewayProxy } from '../gateway/gateway-proxy.js'

const GATEWAY_API = 'apiVersion: gateway.networking.k8s.io/v1'
const mesh = new TestMesh()
const dir = mkdtempSync(join(tmpdir(), 'trellis-max-conns-'))
const servers: Server[] = []
let cert: TestCert
let gw: GatewayProxy
let config: (maxConnections: number) => string

interface PortCase { readonly name: string; readonly port: number; readonly tls: boolean; readonly payload: string; readonly answer: RegExp }
let cases: PortCase[] = []

async function serve(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return (server.address() as AddressInfo).port
}

before(async () => {
  cert = makeCert(dir, 'gw', 'gw.example.com')
  const web = await serve(createHttpServer((_req, res) => res.end('hello')) as unknown as Server)
  const echo = await serve(createServer(s => { s.on('data', d => s.write(`echo:${d}`)); s.on('error', () => s.destroy()) }))
  const [httpPort, tcpPort, tlsPort] = [await freePort(), await freePort(), await freePort()]
  cases = [
    { name: 'HTTP', port: httpPort, tls: false, payload: 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', answer: /^HTTP\/1\.1 200 [\s\S]*\r\n\r\nhello$/ },
    { name: 'TCP', port: tcpPort, tls: false, payload: 'ping', answer: /^echo:ping$/ },
    { name: 'TLS', port: tlsPort, tls: true, payload: 'ping', answer: /^echo:ping$/ },
  ]
  config = max => docs(
    resource('Service', 'web', `{ port: 80, endpoints: [{ address: "127.0.0.1:${web}" }] }`),
    resource('Service', 'echo', `{ protocol: tcp, port: 80, endpoints: [{ address: "127.0.0.1:${echo}" }] }`),
    resource('Certificate', 'gw-cert', `{ certFile: ${cert.certFile}, keyFile: ${cert.keyFile} }`),
    `${GATEWAY_API}\nkind: Gateway\nmetadata: { name: edge }\nspec:\n  listeners:\n`
      + `    - { name: http, port: ${httpPort}, protocol: HTTP }\n`
      + `    - { name: tcp, port: ${tcpPort}, protocol: TCP }\n`
      + `    - { name: tls, port: ${tlsPort}, protocol: TLS, tls: { mode: Terminate, certificateRefs: [{ name: gw-cert }] } }\n`,
    `${GATEWAY_API}\nkind: HTTPRoute\nmetadata: { name: web }\nspec: { parentRefs: [{ name: edge, sectionName: http }], rules: [{ backendRefs: [{ name: web, port: 80 }] }] }\n`,
    'apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: { name: echo }\nspec: { parentRefs: [{ name: edge, sectionName: tcp }], rules: [{ backendRefs: [{ name: echo, port: 80 }] }] }\n',
    'apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: { name: echo }\nspec: { parentRefs: [{ name: edge, sectionName: tls }], rules: [{ backendRefs: [{ name: echo, port: 80 }] }] }\n',
    resource('ClientTrafficPolicy', 'edge-clients', `{ targetRef: { kind: Gateway, name: edge }, limits: { maxConnections: ${max} } }`))
  await mesh.start()
  await mesh.apply(config(2))
  gw = await mesh.gateway('edge')
  await mesh.settled()
})

after(async () => {
  await mesh.stop()
  for (const s of servers) { (s as Partial<{ closeAllConnections(): void }>).closeAllConnections?.(); s.close() }
  rmSync(dir, { recursive: true, force: true })
})

/** Opens a connection and asks once: the connection, kept open, if answered; null if it was closed unanswered. */
function ask(c: PortCase): Promise<Socket | null> {
  return new Promise(resolve => {
    let got = ''
    const send = () => s.write(c.payload)
    const s: Socket = c.tls ? connectTls({ port: c.port, host: '127.0.0.1', servername: 'gw.example.com', ca: cert.cert }, send) : connect(c.port, '127.0.0.1', send)
    s.setEncoding('utf8')
    s.on('error', () => {})
    s.on('data', (d: string) => { got += d; if (c.answer.test(got)) resolve(s) })
    s.once('close', () => resolve(null))
  })
}

/** Asks again on a connection that was answered: whether it answers again. */
function askOn(c: PortCase, s: Socket): Promise<boolean> {
  return new Promise(resolve => {
    let got = ''
    const onData = (d: string) => { got += d; if (c.answer.test(got)) { done(); resolve(true) } }
    const onClose = () => { done(); resolve(false) }
    const done = () => { s.off('data', onData); s.off('close', onClose) }
    s.removeAllListeners('data')
    s.on('data', onData)
    s.once('close', onClose)
    s.write(c.payload)
  })
}

async function applyLimit(max: number): Promise<void> {
  const v = await mesh.apply(config(max))
  await eventually(`the gateway acked maxConnections ${max}`, async () => gw.ackedVersion >= v)
}

test('a changed ClientTrafficPolicy maxConnections applies to new connections on HTTP, TCP and TLS ports without a restart', { timeout: 60_000 }, async () => {
  const held = new Map<PortCase, Socket[]>(cases.map(c => [c, []]))
  const hold = async (c: PortCase, why: string) => {
    const s = await ask(c)
    assert.ok(s, `${c.name}: ${why}`)
    held.get(c)!.push(s)
  }
  const refused = async (c: PortCase, why: string) => assert.equal(await ask(c), null, `${c.name}: ${why}`)

  for (const c of cases) {
    held.get(c)!.push(await eventually(`${c.name} port serves`, () => ask(c)))
    await hold(c, 'a second connection is within maxConnections 2')
    await refused(c, 'a third is past maxConnections 2')
  }

  await applyLimit(3)
  for (const c of cases) {
    await hold(c, 'raised to 3: a third connection gets in')
    await refused(c, 'a fourth is past 3')
  }
  for (const [c, open] of held) {
    for (const s of open) assert.ok(await askOn(c, s), `${c.name}: the connections opened before the change are still served`)
  }

  await applyLimit(1)
  for (const c of cases) {
    await refused(c, 'lowered to 1 with three open: refused')
    for (const s of held.get(c)!.splice(0)) s.destroy()
    held.get(c)!.push(await eventually(`${c.name}: once they closed, one connection gets in`, () => ask(c)))
    await refused(c, 'a second is past 1')
  }
  for (const open of held.values()) for (const s of open) s.destroy()
})
