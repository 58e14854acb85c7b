// ClientTrafficPolicy timeouts.request for HTTP/2 clients, through a real proxy on 127.0.0.1, over
// h2c and h2 over TLS: a request whose body stalls gets 408 `timeout` (a gRPC call:
// DEADLINE_EXCEEDED) and its stream alone is reset; the upstream request is given up, and the
// connection goes on serving its other streams, including one whose answer takes longer than the
// timeout but whose request arrived whole.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { connect, createServer as createH2Server, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext } from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import { DEFAULT_CLIENT_TRAFFIC } from '../../ir/client-traffic.js'
import { makeCert } from '../../integration/harness/certs.js'
import { listen, ResilienceProxy } from '../upstream/resilience-proxy.test-harness.js'
import { ALPN_PROTOCOLS, type TlsServerOptions } from './tls-certificates.js'

const TIMEOUT = { ...DEFAULT_CLIENT_TRAFFIC, requestTimeoutMs: 300 }

const dir = mkdtempSync(join(tmpdir(), 'trellis-h2-timeout-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function tlsOptions(): TlsServerOptions {
  const { cert, key } = makeCert(dir, 'proxy', 'localhost')
  const context = createSecureContext({ cert, key })
  return { cert, key, ALPNProtocols: ALPN_PROTOCOLS, SNICallback: (_name, cb) => cb(null, context) }
}

interface Answer { status: unknown; reason: unknown; body: string }

/** The answer on `s`, once it ends or is reset. */
function answer(s: ClientHttp2Stream): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let status: unknown, reason: unknown, body = ''
    s.setEncoding('utf8')
    s.on('response', h => { status = h[':status']; reason = h['x-trellis-reason'] })
    s.on('data', (c: string) => { body += c })
    s.on('close', () => resolve({ status, reason, body }))
    s.on('error', reject)
  })
}

const get = (session: ClientHttp2Session, path: string) => answer(session.request({ ':path': path }))

/** An upstream with /held (answered on release), /fast, and /upload, which reports how its body ended. */
function upstreamApp() {
  let heldArrived!: () => void, release!: () => void, uploadEnded!: (how: string) => void
  const arrived = new Promise<void>(resolve => { heldArrived = resolve })
  const released = new Promise<void>(resolve => { release = resolve })
  const upload = new Promise<string>(resolve => { uploadEnded = resolve })
  const server = createServer((req: IncomingMessage, res) => {
    if (req.url === '/held') { heldArrived(); void released.then(() => res.end('held')); return }
    if (req.url === '/upload') {
      req.resume()
      req.on('end', () => { uploadEnded('complete'); res.end('uploaded') })
      res.on('close', () => { if (!req.complete) uploadEnded('cut off') })
      return
    }
    res.end('fast')
  })
  return { server, arrived, release, upload }
}

for (const transport of ['h2c', 'h2 over TLS'] as const) {
  test(`${transport}: a request whose body stalls past the request timeout gets 408 on its own stream; the connection serves on`, { timeout: 15_000 }, async t => {
    const app = upstreamApp()
    const tls = transport === 'h2c' ? null : tlsOptions()
    const proxy = await new ResilienceProxy([await listen(app.server)], {}, {}, 'http', tls).start()
    proxy.clientTraffic(TIMEOUT)
    const session = tls === null
      ? connect(`http://127.0.0.1:${proxy.port}`)
      : connect(`https://127.0.0.1:${proxy.port}`, { rejectUnauthorized: false })
    t.after(async () => {
      session.destroy()
      await proxy.stop()
      app.server.closeAllConnections()
      app.server.close()
    })
    session.on('error', () => {})
    // A request that arrived whole, whose answer takes longer than the timeout: not the client's fault.
    const held = get(session, '/held')
    await app.arrived
    const upload = session.request({ ':method': 'POST', ':path': '/upload' })
    upload.write('the first part of a body that never ends')
    assert.deepEqual(await answer(upload), { status: 408, reason: 'timeout', body: 'timeout: request not received within 300 ms\n' })
    assert.equal(await app.upload, 'cut off', 'the upstream request is given up')
    app.release()
    assert.deepEqual(await held, { status: 200, reason: undefined, body: 'held' }, 'the other stream is answered')
    assert.deepEqual(await get(session, '/fast'), { status: 200, reason: undefined, body: 'fast' }, 'the connection takes new streams')
    assert.ok(!session.closed && !session.destroyed, 'one connection throughout')
  })
}

test('a gRPC call whose request stream stalls past the request timeout ends DEADLINE_EXCEEDED; the channel serves on', { timeout: 15_000 }, async t => {
  const upstream = createH2Server()
  let stalledEnded!: (how: string) => void
  const stalledUpstream = new Promise<string>(resolve => { stalledEnded = resolve })
  upstream.on('stream', (stream, headers) => {
    const stalled = headers[':path'] === '/test.Echo/Upload'
    stream.on('error', () => { if (stalled) stalledEnded('cut off') })   // given up by the proxy: INTERNAL_ERROR
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      if (stalled) stalledEnded('complete')
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(Buffer.concat(chunks))                   // the framed request message, echoed
    })
  })
  const proxy = await new ResilienceProxy([await listen(upstream as never)], {}, {}, 'grpc').start()
  proxy.clientTraffic(TIMEOUT)
  const client = new grpc.Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure())
  t.after(async () => {
    client.close()
    await proxy.stop()
    upstream.close()
  })
  const bytes = (b: Buffer) => b
  const stalled = await new Promise<{ code: number; reason: unknown }>(resolve => {
    const call = client.makeClientStreamRequest('/test.Echo/Upload', bytes, bytes, (err: grpc.ServiceError | null) => {
      resolve({ code: err?.code ?? grpc.status.OK, reason: err?.metadata.get('x-trellis-reason')[0] })
    })
    call.write(Buffer.from('one message, then nothing'))
  })
  assert.deepEqual(stalled, { code: grpc.status.DEADLINE_EXCEEDED, reason: 'timeout' })
  assert.equal(await stalledUpstream, 'cut off', 'the upstream call is reset, not half-closed as if the client had finished')
  const echoed = await new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest('/test.Echo/Unary', bytes, bytes, Buffer.from('hi'), (err: grpc.ServiceError | null, reply?: Buffer) => {
      if (err) reject(err); else resolve(String(reply))
    })
  })
  assert.equal(echoed, 'hi')
})
