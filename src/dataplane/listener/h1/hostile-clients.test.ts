// The listener's HTTP/1.1 fast path against clients that break the rules on purpose: bodies past
// maxRequestBodyBytes, connections kept half-open after a closing response, clients that vanish
// mid-body. Raw sockets on 127.0.0.1 against an HttpListener whose routes are in-process handlers.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { HttpListener, type RequestHandler } from '../http-listener.js'
import { DEFAULT_CLIENT_TRAFFIC } from '../../../ir/client-traffic.js'

delete process.env.TRELLIS_HTTP1_LISTENER     // these tests are of the fast path

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** What one request's route saw of it. */
interface Seen { path: string; bytes: number; ended: boolean; events: string[] }
const seen: Seen[] = []

const handler: RequestHandler = {
  handle(x) {
    const { req, res } = x
    const s: Seen = { path: x.path, bytes: 0, ended: false, events: [] }
    seen.push(s)
    for (const e of ['aborted', 'close']) req.on(e, () => s.events.push(e))
    req.on('error', () => s.events.push('error'))
    req.on('data', (c: Buffer) => { s.bytes += c.length })
    req.on('end', () => { s.ended = true })
    if (x.path === '/hold') return                                  // never answers
    if (x.path === '/streaming') { res.writeHead(200); res.write('started;') }   // answers while the body comes
    req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`read ${s.bytes}`) })
  },
}

let listener: HttpListener
let port = 0

before(async () => {
  listener = new HttpListener({
    name: 'h1-hostile', proto: 'http', edge: false, stripMeshHeaders: false,
    clientTraffic: { ...DEFAULT_CLIENT_TRAFFIC, maxRequestBodyBytes: 10, maxConnections: 1, idleTimeoutMs: 500 },
  })
  listener.router = { match: () => handler }
  port = await listener.listen(0, '127.0.0.1')
})
after(() => listener.close(0))

/** A raw connection that collects what it receives; `halfOpen`: it never closes its side by itself. */
function open(halfOpen = false): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let got = ''
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen })
    const closed = new Promise<void>(r => socket.once('close', () => r()))
    socket.on('data', d => { got += d.toString('latin1') })
    socket.on('error', () => {})
    socket.once('connect', () => resolve({ socket, received: () => got, closed }))
    socket.once('error', reject)
  })
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!cond()) { if (Date.now() > deadline) return false; await sleep(10) }
  return true
}

test('a chunked body past maxRequestBodyBytes never reaches the route as complete, even with its end in the same read', async () => {
  // Before the answer (413, then closed) and while a streamed answer is under way (the connection is cut).
  for (const [path, answer] of [['/upload', /^HTTP\/1\.1 413 [^]*x-trellis-reason: too_large/], ['/streaming', /^HTTP\/1\.1 200 [^]*started;/]] as const) {
    seen.length = 0
    const c = await open()
    c.socket.write(`POST ${path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`)
    assert.ok(await until(() => seen.length === 1 && seen[0].bytes === 5, 2000), path)
    c.socket.write('10\r\n0123456789abcdef\r\n0\r\n\r\n')
    await c.closed
    assert.match(c.received(), answer)
    assert.equal(seen[0].ended, false, `${path}: the route saw a complete body of ${seen[0].bytes} bytes`)
    assert.ok(await until(() => seen[0].events.includes('aborted'), 2000), `${path}: the route sees the body aborted`)
  }
})

test('a client kept half-open after a Connection: close answer does not keep its connection', async () => {
  // maxConnections is 1: while the first connection is held, no other client is served.
  const first = await open(true)
  first.socket.write('GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  assert.ok(await until(() => first.received().includes('read 0'), 2000), first.received())
  let answered = false
  const deadline = Date.now() + 6000     // the closed connection lingers up to 2 s for what the client still sends
  while (!answered && Date.now() < deadline) {
    const next = await open()
    next.socket.write('GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    await next.closed
    answered = next.received().startsWith('HTTP/1.1 200 ')
    if (!answered) await sleep(100)
  }
  first.socket.destroy()
  assert.ok(answered, 'the closed connection was let go, and the next client is served')
})

test('a client that goes away mid-body: the route sees aborted and close once each', async () => {
  seen.length = 0
  const c = await open()
  c.socket.write('POST /hold HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\nabc')
  assert.ok(await until(() => seen.length === 1 && seen[0].bytes === 3, 2000))
  c.socket.end()
  await c.closed
  await sleep(50)
  assert.deepEqual(seen[0].events, ['aborted', 'error', 'close'])
})
