// mTLS between proxies, on real sockets: the identities apps see, what the inbound port refuses in
// each Mesh mode, a caller refusing a server that proves the wrong identity, and renewal under load.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { CertificateAuthority } from '../controlplane/ca/certificate-authority.js'
import { dial } from '../dataplane/mtls/dial.js'
import { MeshCertificate } from '../dataplane/mtls/mesh-certificate.js'
import type { SidecarProxy } from '../dataplane/sidecar-proxy.js'
import { freePort } from '../supervisor/free-port.js'
import { TestMesh } from './harness/mesh.js'
import { get, sleep } from './harness/http.js'
import { docs, gateway, httpRoute, resource, service, workload } from './harness/fixtures.js'

const TD = 'spiffe://trellis.local/ns/default/sa'
const config = (gwPort: number, mtls: string | null) => docs(
  service('api'), workload('api'), workload('client', { spec: 'identity: web-frontend', upstreams: ['api'] }),
  gateway('edge', gwPort), httpRoute('edge-api', ['edge'], 'api'),
  ...(mtls ? [resource('Mesh', 'default', `{ mtls: ${mtls} }`)] : []),
)

const mesh = new TestMesh()
let gwPort = 0, clientUrl = '', gwUrl = ''
let server: SidecarProxy

before(async () => {
  gwPort = await freePort()
  await mesh.start()
  await mesh.apply(config(gwPort, null))
  const client = await mesh.replica('client', 0)
  server = (await mesh.replica('api', 0)).sidecar
  await mesh.gateway('edge')
  await mesh.settled()
  clientUrl = `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`
  gwUrl = `http://127.0.0.1:${gwPort}`
})
after(() => mesh.stop())

/** Opens a raw connection to the server sidecar's inbound port, sends one request, returns what came back. */
function exchange(socket: Socket | TLSSocket, readyEvent: string): Promise<string> {
  return new Promise(resolve => {
    let got = ''
    socket.once(readyEvent, () => socket.write('GET /probe HTTP/1.1\r\nhost: api\r\nconnection: close\r\n\r\n'))
    socket.on('data', (c: Buffer) => { got += c.toString() })
    socket.on('error', () => {})
    socket.once('close', () => resolve(got))
    socket.setTimeout(5000, () => socket.destroy())
  })
}

function tlsClient(opts: { key?: string; cert?: string }): TLSSocket {
  return tlsConnect({
    host: '127.0.0.1', port: server.inboundPort, ca: mesh.cp.ca.certificatePem, ...opts,
    checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'],
  })
}

async function keyAndCert(ca: CertificateAuthority, identity: string): Promise<{ key: string; cert: string }> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const issued = await ca.issue(publicKey.export({ type: 'spki', format: 'pem' }) as string, identity, 60_000)
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: issued.certificate }
}

test('STRICT (the default): apps see the SPIFFE ID their caller proved, from a sidecar and from a gateway', async () => {
  const before = server.inboundStats().accepted
  const viaSidecar = await get(`${clientUrl}/a`)
  assert.equal(viaSidecar.status, 200)
  assert.equal(viaSidecar.json().headers['x-trellis-peer-identity'], `${TD}/web-frontend`)
  const viaGateway = await get(`${gwUrl}/b`, { 'x-trellis-peer-identity': `${TD}/admin` })
  assert.equal(viaGateway.status, 200)
  assert.equal(viaGateway.json().headers['x-trellis-peer-identity'], `${TD}/gateway-edge`, 'a forged identity is replaced by the proven one')
  assert.ok(server.inboundStats().accepted > before, 'both came over mTLS handshakes')
  const view = server.certificate.view()
  assert.equal(view?.identity, `${TD}/api`)
  assert.equal(mesh.cp.registry.list().find(p => p.name === 'default/api/0')?.certificate?.serial, view?.serial)
})

test('STRICT: the inbound port answers nothing to plaintext, to TLS without a certificate or with another CA\'s', async () => {
  const rejectedBefore = server.inboundStats().rejected
  const plain = await exchange(netConnect({ host: '127.0.0.1', port: server.inboundPort }), 'connect')
  assert.doesNotMatch(plain, /HTTP\/1\.1/)
  const noCert = await exchange(tlsClient({}), 'secureConnect')
  assert.doesNotMatch(noCert, /HTTP\/1\.1/)
  const dir = mkdtempSync(join(tmpdir(), 'trellis-rogue-ca-'))
  try {
    const rogue = await CertificateAuthority.loadOrCreate(dir)
    const forged = await exchange(tlsClient(await keyAndCert(rogue, `${TD}/web-frontend`)), 'secureConnect')
    assert.doesNotMatch(forged, /HTTP\/1\.1/, 'a certificate naming a real identity but from another CA')
  } finally { rmSync(dir, { recursive: true, force: true }) }
  assert.ok(server.inboundStats().rejected >= rejectedBefore + 3, `rejections counted: ${server.inboundStats().rejected - rejectedBefore}`)
  // The control: a certificate from the mesh CA is served, and its identity reaches the app.
  const ok = await exchange(tlsClient(await keyAndCert(mesh.cp.ca, `${TD}/tester`)), 'secureConnect')
  assert.match(ok, /^HTTP\/1\.1 200/)
  assert.match(ok, /"x-trellis-peer-identity":"spiffe:\/\/trellis\.local\/ns\/default\/sa\/tester"/)
})

test('the inbound port sends no session ticket carrying session state (callers never resume; each ticket stays with its connection)', async () => {
  const c = tlsClient(await keyAndCert(mesh.cp.ca, `${TD}/tester`))
  const tickets: number[] = []
  c.on('session', () => { tickets.push(c.getTLSTicket()?.length ?? 0) })
  const got = await exchange(c, 'secureConnect')
  assert.match(got, /^HTTP\/1\.1 200/)
  assert.ok(tickets.length > 0, 'TLS 1.3 still announces sessions')
  // A stateless ticket holds the whole session, the caller's certificate included (~600 bytes);
  // with SSL_OP_NO_TICKET only a 32-byte session ID is sent, and no server keeps it.
  for (const bytes of tickets) assert.ok(bytes <= 64, `a ticket of ${bytes} bytes`)
})

test('a caller refuses a server whose certificate proves another identity than the instance it meant', async () => {
  const own = new MeshCertificate()
  own.install(await mesh.cp.ca.issue(own.publicKeyPem, `${TD}/web-frontend`, 60_000))
  const impostor = await keyAndCert(mesh.cp.ca, `${TD}/impostor`)
  const srv = createTlsServer({ ...impostor, ca: mesh.cp.ca.certificatePem, requestCert: true }, s => s.end())
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  const attempt = (identity: string) => new Promise<string>(resolve => {
    const s = dial('127.0.0.1', port, { certificate: own, identity }, 'http/1.1')
    s.once('secureConnect', () => { s.destroy(); resolve('connected') })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
  try {
    assert.equal(await attempt(`${TD}/api`), 'ERR_MESH_PEER_IDENTITY')
    assert.equal(await attempt(`${TD}/impostor`), 'connected')
  } finally { srv.close() }
})

test('PERMISSIVE serves plaintext without an identity beside mTLS; DISABLE sends plaintext between sidecars', async () => {
  await mesh.apply(config(gwPort, 'PERMISSIVE'))
  await mesh.settled()
  const direct = await get(`http://127.0.0.1:${server.inboundPort}/c`, { 'x-trellis-peer-identity': `${TD}/admin` })
  assert.equal(direct.status, 200)
  assert.equal(direct.json().headers['x-trellis-peer-identity'], undefined, 'no identity without mTLS, and a forged one is stripped')
  const viaMesh = (await get(`${clientUrl}/d`)).json().headers
  assert.equal(viaMesh['x-trellis-peer-identity'], `${TD}/web-frontend`, 'callers still use mTLS')
  assert.match(viaMesh['x-forwarded-for'], /127\.0\.0\.1$/, 'the caller\'s address is kept under TLS')

  await mesh.apply(config(gwPort, 'DISABLE'))
  await mesh.settled()
  const accepted = server.inboundStats().accepted
  const plain = await get(`${clientUrl}/e`)
  assert.equal(plain.status, 200)
  assert.equal(plain.json().headers['x-trellis-peer-identity'], undefined)
  assert.equal(server.inboundStats().accepted, accepted, 'no TLS handshake at the server')

  await mesh.apply(config(gwPort, 'STRICT'))
  await mesh.settled()
  assert.equal((await get(`${clientUrl}/f`)).json().headers['x-trellis-peer-identity'], `${TD}/web-frontend`)
  const refused = await exchange(netConnect({ host: '127.0.0.1', port: server.inboundPort }), 'connect')
  assert.doesNotMatch(refused, /HTTP\/1\.1/, 'back to STRICT: plaintext refused again')
})

test('certificates are renewed at half-life while requests keep flowing', async () => {
  const short = new TestMesh()
  await short.start('127.0.0.1:0', { certTtlMs: 4000 })
  try {
    await short.apply(config(await freePort(), null))
    const client = await short.replica('client', 0)
    const api = (await short.replica('api', 0)).sidecar
    await short.settled()
    const url = `http://127.0.0.1:${client.sidecar.outboundPort('default/api')}`
    const first = { client: client.sidecar.certificate.serial, api: api.certificate.serial }
    let failed = 0, sent = 0
    const until = Date.now() + 3500
    while (Date.now() < until && sent < 400) {
      sent++
      const r = await get(`${url}/tick`).catch(() => null)
      if (r?.status !== 200 || r.json().headers['x-trellis-peer-identity'] !== `${TD}/web-frontend`) failed++
      await sleep(10)
    }
    assert.equal(failed, 0, `${failed} of ${sent} requests failed across the renewal`)
    assert.notEqual(client.sidecar.certificate.serial, first.client, 'the caller renewed')
    assert.notEqual(api.certificate.serial, first.api, 'the server renewed')
    assert.ok(api.certificate.notAfter - Date.now() > 2000, 'the new certificate has most of its life ahead')
    // A new connection to the server is served with its new certificate.
    const { key, cert } = client.sidecar.certificate.serverOptions()
    const served = await new Promise<string>(resolve => {
      const s = tlsConnect({ host: '127.0.0.1', port: api.inboundPort, ca: short.cp.ca.certificatePem, checkServerIdentity: () => undefined, key, cert })
      s.once('secureConnect', () => { resolve(s.getPeerCertificate().serialNumber); s.destroy() })
      s.once('error', err => resolve(err.message))
    })
    assert.equal(served, api.certificate.serial)
  } finally { await short.stop() }
})

test('a token limited to one Workload gets certificates for that Workload\'s sidecars only', async () => {
  const token = mesh.cp.creds.createJoinToken('default/client', 60_000, Date.now())
  const own = new MeshCertificate()
  const post = (path: string, body: unknown) => get(`${mesh.url}${path}`, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, 'POST', JSON.stringify(body))
  const base = { pid: 1, adminAddress: '127.0.0.1:1', publicKey: own.publicKeyPem }
  const asGateway = await post('/api/v1/proxies', { ...base, kind: 'gateway', gateway: 'edge', workload: 'client' })
  assert.equal(asGateway.status, 403, 'no gateway identity (sidecars trust it for x-trellis-consumer)')
  const asOther = await post('/api/v1/proxies', { ...base, kind: 'sidecar', workload: 'api', replica: 9, inboundAddress: '127.0.0.1:2' })
  assert.equal(asOther.status, 403)
  const other = mesh.cp.registry.list().find(p => p.name === 'default/api/0')!
  const renewOther = await post(`/api/v1/proxies/${other.id}/certificate`, { publicKey: own.publicKeyPem })
  assert.equal(renewOther.status, 403, 'nor a certificate for another proxy by its id')
  const mine = await post('/api/v1/proxies', { ...base, kind: 'sidecar', workload: 'client', replica: 7, inboundAddress: '127.0.0.1:3' })
  assert.equal(mine.status, 201)
  assert.equal(mine.json().identity, `${TD}/web-frontend`)
  mesh.cp.registry.remove(mine.json().id)
  const unknownGateway = await get(`${mesh.url}/api/v1/proxies`, { authorization: `Bearer ${mesh.joinToken}`, 'content-type': 'application/json' }, 'POST',
    JSON.stringify({ ...base, kind: 'gateway', gateway: 'nowhere' }))
  assert.equal(unknownGateway.status, 404, 'a gateway identity only for a Gateway in the config')
})
