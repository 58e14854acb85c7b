// The listener's HTTP/1.1 fast path on real sockets, with exact bytes from raw clients: through a
// StaticProxy to a real app (pipelining, chunked bodies, framing of responses, bodies left unread,
// aborts, back-pressure, hand-over of unusual requests to Node's server, forwarding headers), on an
// HttpListener with short ClientTrafficPolicy timeouts, and `trellis proxy` with and without it.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { StaticProxy } from '../../static-proxy.js'
import { HttpListener, type RequestHandler } from '../http-listener.js'
import { DEFAULT_CLIENT_TRAFFIC } from '../../../ir/client-traffic.js'
import { freePort } from '../../../supervisor/free-port.js'

delete process.env.TRELLIS_HTTP1_LISTENER     // the switch is read on the first connection: these tests are of the fast path

// ---- a raw client: exact bytes out, responses parsed one at a time

interface Reply { status: number; headers: Record<string, string>; body: Buffer; trailers: Record<string, string> }

function fields(lines: string[], into: Record<string, string>): void {
  for (const l of lines) {
    const i = l.indexOf(':')
    const k = l.slice(0, i).toLowerCase()
    const v = l.slice(i + 1).trim()
    into[k] = k in into ? `${into[k]}, ${v}` : v
  }
}

/** One complete response at the start of `b` and its length, or null while incomplete. */
function parseResponse(b: Buffer, bodyless: boolean, ended: boolean): { reply: Reply; used: number } | null {
  const headEnd = b.indexOf('\r\n\r\n')
  if (headEnd < 0) return null
  const [statusLine, ...lines] = b.toString('latin1', 0, headEnd).split('\r\n')
  const reply: Reply = { status: Number(statusLine.split(' ')[1]), headers: {}, body: Buffer.alloc(0), trailers: {} }
  fields(lines, reply.headers)
  let p = headEnd + 4
  if (bodyless || reply.status < 200 || reply.status === 204 || reply.status === 304) return { reply, used: p }
  if (/chunked/i.test(reply.headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = []
    for (;;) {
      const eol = b.indexOf('\r\n', p)
      if (eol < 0) return null
      const size = parseInt(b.toString('latin1', p, eol), 16)
      if (size === 0) { p = eol + 2; break }
      if (b.length < eol + 2 + size + 2) return null
      parts.push(b.subarray(eol + 2, eol + 2 + size))
      p = eol + 2 + size + 2
    }
    const end = b.indexOf('\r\n\r\n', p - 2)
    if (end < 0) return null
    fields(b.toString('latin1', p, end).split('\r\n').filter(l => l !== ''), reply.trailers)
    reply.body = Buffer.concat(parts)
    return { reply, used: end + 4 }
  }
  if (reply.headers['content-length'] !== undefined) {
    const n = Number(reply.headers['content-length'])
    if (b.length < p + n) return null
    reply.body = b.subarray(p, p + n)
    return { reply, used: p + n }
  }
  if (!ended) return null                                         // delimited by the close
  reply.body = b.subarray(p)
  return { reply, used: b.length }
}

class RawClient {
  private buf = Buffer.alloc(0)
  private wake: (() => void) | null = null
  ended = false

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.poke() })
    socket.on('close', () => { this.ended = true; this.poke() })
    socket.on('error', () => {})
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => { s.off('error', reject); resolve(new RawClient(s)) })
      s.once('error', reject)
    })
  }

  write(bytes: string | Buffer): boolean { return this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes) }

  /** The next response (`bodyless`: the answer to a HEAD), within `ms`. */
  async response(bodyless = false, ms = 5000): Promise<Reply> {
    const deadline = Date.now() + ms
    for (;;) {
      const r = parseResponse(this.buf, bodyless, this.ended)
      if (r !== null) { this.buf = this.buf.subarray(r.used); return r.reply }
      if (this.ended) throw new Error(`closed before a whole response: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`)
      if (!(await this.until(deadline))) throw new Error(`no whole response in ${ms} ms: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`)
    }
  }

  /** True if the server closes the connection within `ms`. */
  async closes(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (!this.ended) if (!(await this.until(deadline))) return false
    return true
  }

  /** Bytes received and not yet read as a response. */
  get unread(): Buffer { return this.buf }

  close(): void { this.socket.destroy() }

  private poke(): void { const w = this.wake; this.wake = null; w?.() }
  private until(deadline: number): Promise<boolean> {
    return new Promise(resolve => {
      const t = setTimeout(() => { this.wake = null; resolve(false) }, Math.max(0, deadline - Date.now()))
      this.wake = () => { clearTimeout(t); resolve(true) }
    })
  }
}

/** Sends `bytes` on a new connection and reads every response until the server closes it (the
 *  first `heads` answer HEADs). Bytes left over, such as a response cut short, fail the test. */
async function exchange(port: number, bytes: string, heads = 0): Promise<Reply[]> {
  const c = await RawClient.open(port)
  c.write(bytes)
  const closed = await c.closes(5000)
  c.close()
  assert.ok(closed, `the connection closes after ${JSON.stringify(bytes.slice(0, 60))}`)
  const out: Reply[] = []
  let b = c.unread
  for (;;) {
    const r = parseResponse(b, out.length < heads, true)
    if (r === null || r.used === 0) break
    out.push(r.reply)
    b = b.subarray(r.used)
  }
  assert.equal(b.toString('latin1'), '', `only whole responses after ${JSON.stringify(bytes.slice(0, 60))}`)
  return out
}

/** Node's server says `keep-alive: timeout=…` on every kept-alive response; the fast path does not. */
function assertFast(r: Reply): void {
  assert.equal(r.headers['keep-alive'], undefined, 'answered by the fast path, not handed over to Node')
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
const json = (r: Reply) => JSON.parse(r.body.toString())

// ---- the app behind a StaticProxy

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; bytes: number; sha: string }
const seen: Seen[] = []
let onHold: ((req: IncomingMessage) => void) | null = null

function app(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://app')
  if (url.pathname === '/early') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('early'); return }
  if (url.pathname === '/hold') { onHold?.(req); return }           // never answers
  if (url.pathname === '/stream') {                                  // no length: chunked, with a trailer
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-sum' })
    res.write('first,')
    setTimeout(() => { res.addTrailers({ 'x-sum': '42' }); res.end('second') }, 20)
    return
  }
  if (url.pathname === '/head') { res.writeHead(200, { 'content-length': '42' }); res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(42)); return }
  if (url.pathname === '/status') { res.writeHead(Number(url.searchParams.get('code')), { etag: '"v1"' }); res.end(); return }
  const hash = createHash('sha256')
  let bytes = 0
  req.on('data', (c: Buffer) => {
    hash.update(c)
    bytes += c.length
    if (url.pathname === '/slow') { req.pause(); setTimeout(() => req.resume(), 2) }   // a slow reader
  })
  req.on('end', () => {
    const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes, sha: hash.digest('hex') }
    seen.push(s)
    const body = JSON.stringify(url.pathname === '/headers' ? s : { ...s, headers: undefined })
    // setHeader, not writeHead: Node's server then knows the length when the head goes out.
    setTimeout(() => { res.setHeader('content-type', 'application/json'); res.end(body) }, Number(url.searchParams.get('delay') ?? 0))
  })
}

let backend: Server
let backendPort = 0
let proxy: StaticProxy

before(async () => {
  backend = createServer(app)
  await new Promise<void>(resolve => backend.listen(0, '127.0.0.1', resolve))
  backendPort = (backend.address() as AddressInfo).port
  proxy = new StaticProxy({ listenHost: '127.0.0.1', listenPort: 0, upstream: `http://127.0.0.1:${backendPort}`, adminPort: null })
  await proxy.start()
})

after(async () => {
  await proxy.stop(0)
  backend.closeAllConnections()
  await new Promise<void>(resolve => backend.close(() => resolve()))
})

test('pipelined GET, GET, POST on one connection are answered in order, and the connection goes on', async () => {
  const c = await RawClient.open(proxy.port)
  c.write('GET /echo?n=1&delay=40 HTTP/1.1\r\nHost: a\r\n\r\n' +        // the slowest answer first
    'GET /echo?n=2 HTTP/1.1\r\nHost: a\r\n\r\n' +
    'POST /echo?n=3 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello')
  const got = [await c.response(), await c.response(), await c.response()]
  assert.deepEqual(got.map(r => [r.status, json(r).method, json(r).url, json(r).bytes]),
    [[200, 'GET', '/echo?n=1&delay=40', 0], [200, 'GET', '/echo?n=2', 0], [200, 'POST', '/echo?n=3', 5]])
  assert.equal(json(got[2]).sha, sha(Buffer.from('hello')))
  for (const r of got) assertFast(r)
  c.write('GET /echo?n=4 HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.equal(json(await c.response()).url, '/echo?n=4')
  c.close()
})

test('a chunked body with extensions and trailers, split across writes, reaches the app intact', async () => {
  const c = await RawClient.open(proxy.port)
  const wire = 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;name=v\r\nhello\r\n6\r\n world\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: t\r\nx-other: u\r\n\r\n' +
    'GET /echo?after HTTP/1.1\r\nHost: a\r\n\r\n'                      // pipelined right behind the trailers
  for (let i = 0; i < wire.length; i += 7) { c.write(wire.slice(i, i + 7)); await sleep(1) }
  const r = await c.response()
  const body = Buffer.from('hello worldabcdefghijklmnopqrstuvwxyz')
  assert.deepEqual([r.status, json(r).bytes, json(r).sha], [200, body.length, sha(body)])
  assertFast(r)
  assert.equal(json(await c.response()).url, '/echo?after')
  c.close()
})

test('responses: the app\'s length is kept, a streamed body is chunked with trailers, HEAD/204/304 carry no body', async () => {
  const c = await RawClient.open(proxy.port)
  c.write('GET /echo HTTP/1.1\r\nHost: a\r\n\r\n')
  const once = await c.response()
  assert.equal(once.headers['content-length'], String(once.body.length))
  assert.equal(once.headers['transfer-encoding'], undefined)
  c.write('GET /stream HTTP/1.1\r\nHost: a\r\n\r\n')
  const streamed = await c.response()
  assert.equal(streamed.headers['transfer-encoding'], 'chunked')
  assert.equal(streamed.headers['content-length'], undefined)
  assert.deepEqual([streamed.body.toString(), streamed.trailers['x-sum']], ['first,second', '42'])
  // Pipelined: a stray body byte after any of these would be read as the next response's status line.
  c.write('HEAD /head HTTP/1.1\r\nHost: a\r\n\r\nGET /status?code=204 HTTP/1.1\r\nHost: a\r\n\r\n' +
    'GET /status?code=304 HTTP/1.1\r\nHost: a\r\n\r\nGET /head HTTP/1.1\r\nHost: a\r\n\r\n')
  const head = await c.response(true)
  assert.deepEqual([head.status, head.headers['content-length']], [200, '42'])
  const [s204, s304, get] = [await c.response(), await c.response(), await c.response()]
  assert.deepEqual([s204.status, s204.headers['content-length'], s204.headers['transfer-encoding']], [204, undefined, undefined])
  assert.deepEqual([s304.status, s304.headers.etag, s304.headers['transfer-encoding']], [304, '"v1"', undefined])
  assert.deepEqual([get.status, get.body.toString()], [200, 'x'.repeat(42)])
  for (const r of [once, streamed, head, s204, s304, get]) { assert.ok(r.headers.date, 'a Date'); assertFast(r) }
  await sleep(50)
  assert.equal(c.unread.length, 0, 'nothing after the last response')
  c.close()
})

test('Connection: close from the client: the response says so and the connection closes', async () => {
  // Bytes after it are ignored (RFC 9112 §9.6); Node's own server answers them with 400 instead.
  const c = await RawClient.open(proxy.port)
  c.write('GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /echo?ignored HTTP/1.1\r\nHost: a\r\n\r\n')
  const r = await c.response()
  assert.deepEqual([r.status, r.headers.connection], [200, 'close'])
  assert.ok(await c.closes(2000))
  assert.equal(c.unread.length, 0, 'nothing is answered after it')
})

test('an app that answers before reading the body: the rest is dropped and the next request is served', async () => {
  const big = Buffer.alloc(1024 * 1024, 'b')
  const c = await RawClient.open(proxy.port)
  c.write(`POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: ${big.length}\r\n\r\n`)
  c.write(big)
  c.write('GET /echo?next HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.deepEqual([(await c.response()).body.toString(), json(await c.response()).url], ['early', '/echo?next'])
  // The same with a chunked body whose end arrives well after the answer.
  c.write('POST /early HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n')
  c.write(Buffer.alloc(0x8000, 'c'))
  const early = await c.response()
  assertFast(early)
  c.write('\r\n0\r\n\r\nGET /echo?then HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.equal(json(await c.response()).url, '/echo?then')
  c.close()
})

test('a client that goes away mid-body: the app\'s request is aborted', async () => {
  const arrived = new Promise<IncomingMessage>(resolve => { onHold = resolve })
  const c = await RawClient.open(proxy.port)
  c.write('POST /hold HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n')
  c.write(Buffer.alloc(1000, 'x'))
  const req = await arrived
  const closed = new Promise<boolean>(resolve => req.once('close', () => resolve(req.complete)))
  req.resume()
  c.close()
  assert.equal(await Promise.race([closed, sleep(3000).then(() => 'still open')]), false, 'closed, incomplete')
  onHold = null
})

test('a 1 MB upload to an app that reads slowly arrives intact', async () => {
  const body = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + 3) & 0xff
  const c = await RawClient.open(proxy.port)
  c.write(`PUT /slow HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`)
  for (let i = 0; i < body.length; i += 64 * 1024) c.write(body.subarray(i, i + 64 * 1024))
  const r = await c.response(false, 20_000)
  assert.deepEqual([r.status, json(r).bytes, json(r).sha], [200, body.length, sha(body)])
  c.write('GET /echo?alive HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.equal(json(await c.response()).url, '/echo?alive')
  c.close()
})

test('unusual requests are answered by Node\'s server as before', async () => {
  for (const host of ['', 'Host: a\r\n']) {
    const http10 = await exchange(proxy.port, `GET /echo?v=1.0 HTTP/1.0\r\n${host}\r\n`)   // closes after it, as 1.0 does
    assert.deepEqual(http10.map(r => [r.status, json(r).url]), [[200, '/echo?v=1.0']])
  }

  const c = await RawClient.open(proxy.port)
  c.write('POST /echo?expect HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n')
  assert.equal((await c.response()).status, 100)
  c.write('hi')
  const r = await c.response()
  assert.deepEqual([r.status, json(r).bytes], [200, 2])
  c.close()

  // A first request on the fast path, then an HTTP/1.0 one: the connection is handed over between them.
  const mixed = await exchange(proxy.port, 'GET /echo?m=1 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?m=2 HTTP/1.0\r\n\r\n')
  assert.deepEqual(mixed.map(x => [x.status, json(x).url]), [[200, '/echo?m=1'], [200, '/echo?m=2']])
})

test('ambiguous framing gets 400 and closes; a smuggled request never reaches the app', async () => {
  const before = seen.length
  const cases: Record<string, string> = {
    'duplicate Content-Length': 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\nhello!',
    'Content-Length and Transfer-Encoding': 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  }
  for (const [name, bytes] of Object.entries(cases)) {
    const replies = await exchange(proxy.port, bytes)
    assert.deepEqual(replies.map(r => [r.status, r.headers['x-trellis-reason']]), [[400, 'bad_request']], name)
  }
  // The head is fine, so the request is on its way to the app when its body turns out malformed.
  const c = await RawClient.open(proxy.port)
  c.write(MALFORMED_CHUNK)
  assert.ok(await c.closes(3000))
  assert.match(c.unread.toString('latin1'), /^HTTP\/1\.1 400 [^]*\r\nconnection: close\r\n[^]*bad_request/)
  assert.doesNotMatch(c.unread.toString('latin1'), /HTTP\/1\.1 [^]*HTTP\/1\.1 /, 'one response only')
  await sleep(100)
  assert.deepEqual(seen.slice(before).map(s => s.url), [], 'the app saw none of them complete')
})

const MALFORMED_CHUNK = 'POST /echo?bad HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5\r\nhello\r\nzz\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'

test('the 400 for a malformed body is a whole response', async () => {
  const replies = await exchange(proxy.port, MALFORMED_CHUNK)
  assert.deepEqual(replies.map(r => [r.status, r.headers.connection, r.body.toString()]), [[400, 'close', 'bad_request: malformed request body\n']])
})

test('a header block past maxRequestHeadersBytes gets 431', async () => {
  const replies = await exchange(proxy.port, `GET /echo?big HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(62_000)}\r\n\r\n`)
  assert.deepEqual(replies.map(r => r.status), [431])
})

test('x-request-id and x-forwarded-for are added as before, and extended when sent', async () => {
  const c = await RawClient.open(proxy.port)
  c.write('GET /headers HTTP/1.1\r\nHost: a\r\n\r\nGET /headers HTTP/1.1\r\nHost: a\r\nX-Request-Id: req-123\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n')
  const plain = json(await c.response()).headers
  const sent = json(await c.response()).headers
  assert.match(plain['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  assert.deepEqual([plain['x-forwarded-for'], plain['x-forwarded-proto'], plain.host], ['127.0.0.1', 'http', 'a'])
  assert.deepEqual([sent['x-request-id'], sent['x-forwarded-for']], ['req-123', '10.0.0.9, 127.0.0.1'])
  c.close()
})

test('malformed trailer fields are refused as Node refuses them', async () => {
  for (const trailer of ['bad trailer\r\n', 'x: a\r\n folded\r\n', ': no-name\r\n']) {
    const replies = await exchange(proxy.port, `POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n${trailer}\r\n`)
    assert.deepEqual(replies.map(r => r.status), [400], JSON.stringify(trailer))
  }
})

// ---- an HttpListener with short timeouts and an in-process handler as the app

let listener: HttpListener
let lport = 0
let bodyArrived: (() => void) | null = null
let onAborted: ((complete: boolean) => void) | null = null

const handler: RequestHandler = {
  handle(x) {
    const { req, res } = x
    switch (x.path) {
      case '/once': res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello'); return
      case '/streamed': res.writeHead(200, { 'content-type': 'text/plain' }); res.write('a'); setTimeout(() => res.end('b'), 10); return
      case '/head': res.writeHead(200, { 'content-length': '42' }); res.end('x'.repeat(42)); return   // HEAD or not
      case '/204': case '/304': res.writeHead(Number(x.path.slice(1))); res.end('not sent'); return
      case '/early': res.writeHead(200, { 'content-type': 'text/plain' }); res.end('early'); return
      case '/stall': return                                         // neither reads nor answers
      case '/abort': req.once('aborted', () => onAborted?.(req.complete)); req.resume(); bodyArrived?.(); return   // never answers
      default: {
        let n = 0
        req.on('data', (c: Buffer) => { n += c.length; bodyArrived?.() })
        req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`read ${n}`) })
      }
    }
  },
}

before(async () => {
  listener = new HttpListener({
    name: 'h1-test', proto: 'http', edge: false, stripMeshHeaders: false,
    clientTraffic: { ...DEFAULT_CLIENT_TRAFFIC, idleTimeoutMs: 500, requestHeadersTimeoutMs: 500, requestTimeoutMs: 1000 },
  })
  listener.router = { match: () => handler }
  lport = await listener.listen(0, '127.0.0.1')
})
after(() => listener.close(0))

test('framing of its own: Content-Length when ended at once, chunked when streamed, no body for HEAD/204/304', async () => {
  const c = await RawClient.open(lport)
  // Pipelined: a stray body byte after a bodyless answer would be read as the next status line.
  c.write('GET /once HTTP/1.1\r\nHost: a\r\n\r\nGET /streamed HTTP/1.1\r\nHost: a\r\n\r\n' +
    'HEAD /head HTTP/1.1\r\nHost: a\r\n\r\nHEAD /streamed HTTP/1.1\r\nHost: a\r\n\r\nHEAD /once HTTP/1.1\r\nHost: a\r\n\r\n' +
    'GET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\nGET /once HTTP/1.1\r\nHost: a\r\n\r\n')
  const once = await c.response()
  assert.deepEqual([once.headers['content-length'], once.headers['transfer-encoding'], once.body.toString()], ['5', undefined, 'hello'])
  const streamed = await c.response()
  assert.deepEqual([streamed.headers['content-length'], streamed.headers['transfer-encoding'], streamed.body.toString()], [undefined, 'chunked', 'ab'])
  const head = await c.response(true)
  assert.deepEqual([head.status, head.headers['content-length']], [200, '42'], 'HEAD keeps the length the app gave')
  const headStreamed = await c.response(true)
  assert.deepEqual([headStreamed.headers['content-length'], headStreamed.headers['transfer-encoding']], [undefined, undefined])
  const headOnce = await c.response(true)
  assert.equal(headOnce.headers['transfer-encoding'], undefined)
  const [s204, s304] = [await c.response(), await c.response()]
  for (const r of [s204, s304]) assert.deepEqual([r.headers['content-length'], r.headers['transfer-encoding']], [undefined, undefined], String(r.status))
  assert.equal((await c.response()).body.toString(), 'hello', 'no stray bytes before the last response')
  for (const r of [once, streamed, head, headStreamed, headOnce, s204, s304]) { assert.match(r.headers.date ?? '', /GMT$/); assertFast(r) }
  await sleep(50)
  assert.equal(c.unread.length, 0)
  c.close()
})

test('a route that answers without ever reading the body: the body is dropped and the next request is served', async () => {
  const c = await RawClient.open(lport)
  c.write('POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n')
  assert.equal((await c.response()).body.toString(), 'early')
  c.write(Buffer.alloc(1024 * 1024, 'd'))                         // far past what is held for a reader
  c.write('POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc')
  assert.equal((await c.response()).body.toString(), 'read 3')
  c.close()
})

test('a body nobody reads stops being read off the socket (back-pressure)', async () => {
  const c = await RawClient.open(lport)
  const size = 32 * 1024 * 1024
  c.write(`POST /stall HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`)
  const piece = Buffer.alloc(64 * 1024)
  for (let i = 0; i < size / piece.length; i++) c.write(piece)
  // Read without limit, all of it would be through loopback long before this; held back, only what
  // the kernel's buffers take gets through.
  await sleep(1500)
  assert.ok(c.socket.writableLength > size / 2, `still to send: ${c.socket.writableLength} bytes`)
  c.close()
})

test('a client that goes away mid-body: the request emits \'aborted\'', async () => {
  const c = await RawClient.open(lport)
  const started = new Promise<void>(resolve => { bodyArrived = resolve })
  const aborted = new Promise<boolean>(resolve => { onAborted = resolve })
  c.write('POST /abort HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nsome')
  await started
  c.close()
  assert.equal(await Promise.race([aborted, sleep(3000).then(() => 'no aborted event')]), false, 'aborted, incomplete')
  bodyArrived = onAborted = null
})

test('idle timeout: a kept-alive connection with nothing to do is closed', async () => {
  const c = await RawClient.open(lport)
  c.write('GET /once HTTP/1.1\r\nHost: a\r\n\r\n')
  assertFast(await c.response())
  assert.ok(await c.closes(4000), 'closed within idleTimeout and a sweep')
  assert.equal(c.unread.length, 0, 'closed quietly')
})

test('requestHeaders timeout: a head that does not finish gets 408, also on a kept-alive connection', async () => {
  const c = await RawClient.open(lport)
  c.write('GET /once HTTP/1.1\r\nHost: a\r\n\r\nGET /once HTTP/1.1\r\nHost: a\r\n')
  assertFast(await c.response())
  const late = await c.response(false, 4000)
  assert.deepEqual([late.status, late.headers['x-trellis-reason'], late.headers.connection], [408, 'timeout', 'close'])
  assert.ok(await c.closes(3000))
})

test('request timeout: a body still arriving past it gets 408', async () => {
  const c = await RawClient.open(lport)
  const started = new Promise<void>(resolve => { bodyArrived = resolve })
  c.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten..')
  await started
  const r = await c.response(false, 4000)
  assert.deepEqual([r.status, r.headers['x-trellis-reason']], [408, 'timeout'])
  assert.ok(await c.closes(3000))
  bodyArrived = null
})

test('an early answer and a body that stops arriving: the connection still times out', async () => {
  const c = await RawClient.open(lport)
  c.write('POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nfirst bytes')
  assert.equal((await c.response()).body.toString(), 'early')
  const closed = await c.closes(4000)
  c.close()
  assert.ok(closed, 'closed within the idle/request timeout and a sweep')
})

// ---- `trellis proxy` with the fast path and with TRELLIS_HTTP1_LISTENER=node: the same answers

const BIN = fileURLToPath(new URL('../../../../bin/trellis.js', import.meta.url))

async function startCli(fastPath: boolean): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env, TRELLIS_TOKEN: '', TRELLIS_DRAIN_TIMEOUT_MS: '200' }
  if (fastPath) delete env.TRELLIS_HTTP1_LISTENER
  else env.TRELLIS_HTTP1_LISTENER = 'node'
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${backendPort}`,
    '--parent-pid', String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'], env })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const stop = async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); await exited }
  let stderr = ''
  child.stderr.setEncoding('utf8')
  const ready = await new Promise<boolean>(resolve => {
    const t = setTimeout(() => resolve(false), 15_000)
    child.stderr.on('data', (d: string) => { stderr += d; if (stderr.includes(' -> ')) { clearTimeout(t); resolve(true) } })
    void exited.then(() => { clearTimeout(t); resolve(false) })
  })
  if (!ready) { await stop(); throw new Error(`trellis proxy did not start: ${stderr}`) }
  return { port, stop }
}

const PARITY: { name: string; bytes: string; want: number[]; heads?: number }[] = [
  { name: 'GET', bytes: 'GET /p/1?q=a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [200] },
  { name: 'pipelined', bytes: 'GET /p/2?delay=20 HTTP/1.1\r\nHost: a\r\n\r\nPOST /p/2b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
    'DELETE /p/2c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [200, 200, 200] },
  { name: 'chunked with trailers', bytes: 'POST /p/3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nx-t: 1\r\n\r\n' +
    'GET /p/3b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [200, 200] },
  { name: 'HEAD', bytes: 'HEAD /head HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [200], heads: 1 },
  { name: '204 and 304', bytes: 'GET /status?code=204 HTTP/1.1\r\nHost: a\r\n\r\nGET /status?code=304 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [204, 304] },
  { name: 'streamed response', bytes: 'GET /stream HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [200] },
  { name: 'HTTP/1.0', bytes: 'GET /p/5 HTTP/1.0\r\nHost: a\r\n\r\n', want: [200] },
  { name: 'Expect', bytes: 'PUT /p/6 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi', want: [100, 200] },
  { name: 'fast then HTTP/1.0', bytes: 'GET /p/7 HTTP/1.1\r\nHost: a\r\n\r\nGET /p/7b HTTP/1.0\r\n\r\n', want: [200, 200] },
  { name: 'leading CRLF', bytes: '\r\nGET /p/8 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [200] },
  { name: 'two Hosts', bytes: 'GET /p/9 HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', want: [200] },
  { name: 'duplicate Content-Length', bytes: 'POST /p/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', want: [400] },
  { name: 'CL and TE', bytes: 'POST /p/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', want: [400] },
  { name: 'TE twice', bytes: 'POST /p/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', want: [400] },
  { name: 'obs-fold', bytes: 'GET /p/x HTTP/1.1\r\nHost: a\r\nX-F: a\r\n b\r\n\r\n', want: [400] },
  { name: 'bare LF', bytes: 'GET /p/x HTTP/1.1\nHost: a\n\n', want: [400] },
  { name: 'unknown method', bytes: 'FOO /p/x HTTP/1.1\r\nHost: a\r\n\r\n', want: [400] },
  { name: 'no Host', bytes: 'GET /p/x HTTP/1.1\r\n\r\n', want: [400] },
  { name: 'non-ASCII target', bytes: 'GET /p/caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n', want: [400] },
  { name: 'asterisk target', bytes: 'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [400] },
  { name: 'bad percent-encoding', bytes: 'GET /p/%zz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', want: [400] },
  { name: 'oversized head', bytes: `GET /p/x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(62_000)}\r\n\r\n`, want: [431] },
]

// Started once, for both tests below.
let clis: Promise<[{ port: number; stop: () => Promise<void> }, { port: number; stop: () => Promise<void> }]> | null = null
after(async () => { if (clis) for (const c of await clis) await c.stop() })

/** Each case on a new connection to both proxies: status, the mesh's reason, and what the app
 *  answered (the mesh's error texts name parser codes, which differ). */
async function compare(cases: typeof PARITY): Promise<void> {
  clis ??= Promise.all([startCli(true), startCli(false)])
  const [fast, node] = await clis
  const summary = (rs: Reply[]) => rs.map(r => `${r.status} ${r.headers['x-trellis-reason'] ?? '-'} ${r.status < 400 ? r.body.toString() : ''}`)
  for (const c of cases) {
    const viaFast = summary(await exchange(fast.port, c.bytes, c.heads))
    const viaNode = summary(await exchange(node.port, c.bytes, c.heads))
    assert.deepEqual(viaFast.map(x => Number(x.split(' ')[0])), c.want, c.name)
    assert.deepEqual(viaFast, viaNode, c.name)
  }
}

test('trellis proxy answers the same with the fast path and with TRELLIS_HTTP1_LISTENER=node', () => compare(PARITY))

test('trellis proxy answers malformed chunked bodies the same with and without the fast path', () => compare([
  { name: 'bad chunk size', bytes: 'POST /p/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n\r\nGET /p/s HTTP/1.1\r\nHost: a\r\n\r\n', want: [400] },
  { name: 'LF after chunk data', bytes: 'POST /p/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n', want: [400] },
  { name: 'trailer without a colon', bytes: 'POST /p/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nbad trailer\r\n\r\n', want: [400] },
]))
