// Refusals a listener answers itself and then closes on (431 for a head far past the parser's limit,
// 413 for an upload past maxRequestBodyBytes) reach a client that is still sending, whole, over
// plain TCP and TLS: the listener reads and drops the rest for a while instead of resetting the
// connection under the answer. Raw sockets on 127.0.0.1 against HttpListeners with in-process routes.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Duplex } from 'node:stream'
import { HttpListener, type RequestHandler } from './http-listener.js'
import { DEFAULT_CLIENT_TRAFFIC } from '../../ir/client-traffic.js'
import { makeCert, type TestCert } from '../../integration/harness/certs.js'

delete process.env.TRELLIS_HTTP1_LISTENER     // the fast path, which hands what it does not take to Node's server

const handler: RequestHandler = {
  handle(x) { x.req.resume(); x.req.on('end', () => x.res.end('ok')) },
}

const dir = mkdtempSync(join(tmpdir(), 'trellis-linger-'))
let cert: TestCert
const listeners: HttpListener[] = []
let plainPort = 0, tlsPort = 0

async function start(tls: boolean): Promise<number> {
  const l = new HttpListener({
    name: 'linger', proto: tls ? 'https' : 'http', edge: true, stripMeshHeaders: true,
    clientTraffic: { ...DEFAULT_CLIENT_TRAFFIC, maxRequestBodyBytes: 1024 },
    tls: tls ? { cert: cert.cert, key: cert.key, ALPNProtocols: ['http/1.1'], SNICallback: (_n, cb) => cb(null) } : undefined,
  })
  l.router = { match: () => handler }
  listeners.push(l)
  return l.listen(0, '127.0.0.1')
}

before(async () => {
  cert = makeCert(dir, 'linger', 'localhost')
  plainPort = await start(false)
  tlsPort = await start(true)
})
after(async () => {
  await Promise.all(listeners.map(l => l.close(0)))
  rmSync(dir, { recursive: true, force: true })
})

/**
 * Sends `bytes` as an HTTP client does, the whole request in chunks then the end of it, reading
 * the answer meanwhile; returns what came back before the connection closed, and how it closed.
 */
function exchange(tls: boolean, bytes: Buffer): Promise<{ got: string; error: string | null }> {
  return new Promise(resolve => {
    // Half-open, as a client still sending its request does not stop when the answer comes.
    const tlsOptions = { host: '127.0.0.1', port: tlsPort, ca: cert.cert, servername: 'localhost', ALPNProtocols: ['http/1.1'], allowHalfOpen: true }
    const socket: Duplex = tls ? tlsConnect(tlsOptions) : connect({ port: plainPort, host: '127.0.0.1', allowHalfOpen: true })
    let got = '', error: string | null = null
    const send = (at: number): void => {
      if (socket.destroyed) return
      if (at >= bytes.length) { socket.end(); return }
      socket.write(bytes.subarray(at, at + 16_384), () => setImmediate(send, at + 16_384))
    }
    socket.once(tls ? 'secureConnect' : 'connect', () => send(0))
    socket.on('data', (d: Buffer) => { got += d.toString('latin1') })
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message })
    socket.on('close', () => resolve({ got, error }))
    setTimeout(() => socket.destroy(new Error('no answer')), 10_000).unref()
  })
}

const HUGE_HEAD = Buffer.from(`GET /items HTTP/1.1\r\nHost: a\r\nx-big: ${'a'.repeat(200 * 1024)}\r\n\r\n`, 'latin1')
/** A 2 MiB upload; `extra` header lines. */
const upload = (extra: string) => Buffer.concat([
  Buffer.from(`POST /upload HTTP/1.1\r\nHost: a\r\n${extra}Content-Length: ${2 * 1024 * 1024}\r\n\r\n`, 'latin1'),
  Buffer.alloc(2 * 1024 * 1024, 0x61),
])

/** A 2 MiB chunked upload that Node's server reads (a tab in a header), its size not announced. */
const chunkedUpload = () => {
  const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')])
  return Buffer.concat([
    Buffer.from('POST /upload HTTP/1.1\r\nHost: a\r\nx-note: a\tb\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1'),
    ...Array.from({ length: 32 }, () => chunk), Buffer.from('0\r\n\r\n'),
  ])
}
const TOO_LARGE_BODY = /^HTTP\/1\.1 413 [^]*x-trellis-reason: too_large[^]*\r\n\r\ntoo_large: request body exceeds 1024 bytes\n$/
const cases = [
  { name: 'a 200 KiB head gets its whole 431', bytes: HUGE_HEAD, want: /^HTTP\/1\.1 431 [^]*\r\n\r\ntoo_large: HPE_HEADER_OVERFLOW\n$/ },
  { name: 'a 2 MiB upload past maxRequestBodyBytes gets its whole 413', bytes: upload(''), want: TOO_LARGE_BODY },
  // A tab in a header: the fast path leaves such a request to Node's own server.
  { name: 'a 2 MiB upload Node\'s server reads gets its whole 413', bytes: upload('x-note: a\tb\r\n'), want: TOO_LARGE_BODY },
  { name: 'a 2 MiB chunked upload Node\'s server reads gets its whole 413', bytes: chunkedUpload(),
    want: /^HTTP\/1\.1 413 [^]*x-trellis-reason: too_large[^]*\r\n\r\ntoo_large: request body exceeds maxRequestBodyBytes\n$/ },
]

for (const tls of [false, true]) {
  for (const c of cases) {
    test(`${tls ? 'TLS' : 'plain TCP'}: ${c.name}, while the rest is still being sent`, async () => {
      // Several times: a reset under the answer loses it only some of the time.
      for (let i = 0; i < 5; i++) {
        const { got, error } = await exchange(tls, c.bytes)
        assert.match(got, c.want, `attempt ${i + 1}: ${JSON.stringify(got.slice(0, 200))} (${error ?? 'closed cleanly'})`)
        assert.equal(error, null, `attempt ${i + 1}: the connection was not reset`)
      }
    })
  }
}
