// The forwarding path with HTTP/2 clients that reset their streams or drop their connections: what
// reaches the upstream, and that the request ends, over real sockets on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, createServer as createH2Server } from 'node:http2'
import { connect as netConnect, type Socket } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { DEFAULT_TRAFFIC_POLICY, type FilterIR } from '../../ir/index.js'
import { nowMs } from '../../lib/monotonic-clock.js'
import { Exchange } from '../exchange.js'
import { Cluster } from './cluster.js'
import { forward } from './forward.js'
import { listen, ResilienceProxy, SERVICE } from './resilience-proxy.test-harness.js'

test('a request whose HTTP/2 client reset the stream before forwarding began is not sent upstream', { timeout: 10_000 }, async t => {
  let hits = 0
  const upstream = createServer((_req, res) => { hits++; res.end('ok') })
  const cluster = new Cluster('default/up', {
    service: 'default/up', protocol: 'http', port: 80, policy: DEFAULT_TRAFFIC_POLICY, healthCheck: null,
    endpoints: [{ address: `127.0.0.1:${await listen(upstream)}`, instance: null, labels: {}, mesh: false, identity: null }],
  })
  // A front that starts forwarding only once the client has gone, as after an asynchronous step
  // (an injected delay, a rate limit or JWKS lookup) during which the client reset the stream.
  let forwarded!: (status: number) => void
  const status = new Promise<number>(resolve => { forwarded = resolve })
  const front = createH2Server((req, res) => {
    res.once('close', () => {
      const x = new Exchange(req as unknown as IncomingMessage, res as unknown as ServerResponse, '/', null, {}, nowMs(), '127.0.0.1')
      forward(x, cluster, { timeoutMs: 0, attemptTimeoutMs: 0, retry: null }, s => forwarded(s))
    })
  })
  const session = connect(`http://127.0.0.1:${await listen(front as never)}`)
  t.after(async () => {
    session.destroy()
    front.close()
    cluster.close()
    upstream.closeAllConnections()
    upstream.close()
  })
  const stream = session.request({ ':path': '/' })
  stream.on('error', () => {})
  await new Promise<void>(resolve => stream.once('ready', resolve))
  stream.close(8)
  assert.equal(await status, 499)
  assert.equal(hits, 0)
})

// HTTP/2 frames by hand: Node's own client ends a stream (END_STREAM) before resetting it, so only
// raw frames send what other clients do on a cancel, RST_STREAM alone.
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type; head[4] = flags
  head.writeUInt32BE(stream, 5)
  return Buffer.concat([head, payload])
}
/** HPACK: POST `path` over http, :authority localhost, content-type application/grpc, te: trailers
 *  (literals without indexing, no Huffman). */
function postHeaders(path: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x83, 0x04, path.length]), Buffer.from(path), Buffer.from([0x86, 0x01, 9]), Buffer.from('localhost'),
    Buffer.from([0x0f, 0x10, 16]), Buffer.from('application/grpc'), Buffer.from([0x00, 2]), Buffer.from('te'), Buffer.from([8]), Buffer.from('trailers'),
  ])
}
const RST_CANCEL = Buffer.from([0, 0, 0, 8])

/** What the upstream made of the request: the body passed on as complete, or cut off. */
type Outcome = 'complete' | 'aborted'

interface Upstream { port: number; started: Promise<unknown>; outcomes: Promise<Outcome[]>; close: () => void }

/** Promises for `n` requests, each told when its body starts and how it ended. */
function tracker(n: number) {
  const started: (() => void)[] = [], settled: ((o: Outcome) => void)[] = []
  const startedAll = Promise.all(Array.from({ length: n }, () => new Promise<void>(r => started.push(r))))
  const outcomes = Promise.all(Array.from({ length: n }, () => new Promise<Outcome>(r => settled.push(r))))
  let next = 0
  return { startedAll, outcomes, take: () => { const i = next++; return { started: () => started[i]?.(), settle: (o: Outcome) => settled[i]?.(o) } } }
}

async function h1Upstream(requests = 1): Promise<Upstream> {
  const t = tracker(requests)
  const server = createServer((req, res) => {
    const one = t.take()
    req.once('data', one.started)
    req.on('end', () => { one.settle('complete'); res.end() })
    req.on('aborted', () => one.settle('aborted'))
    req.on('error', () => {})
  })
  return { port: await listen(server), started: t.startedAll, outcomes: t.outcomes, close: () => { server.closeAllConnections(); server.close() } }
}

async function h2Upstream(): Promise<Upstream> {
  const t = tracker(1)
  const server = createH2Server()
  server.on('stream', stream => {
    const one = t.take()
    stream.once('data', one.started)
    stream.on('aborted', () => one.settle('aborted'))
    stream.on('end', () => one.settle(stream.aborted ? 'aborted' : 'complete'))
    stream.on('error', () => {})
  })
  return { port: await listen(server as never), started: t.startedAll, outcomes: t.outcomes, close: () => server.close() }
}

/** Opens an h2c connection, starts a POST with a first gRPC message, and returns the socket. */
function startUpload(port: number, path = '/'): Socket {
  const client = netConnect(port, '127.0.0.1')
  client.on('error', () => {})
  client.on('data', () => {})
  client.write(Buffer.concat([
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0)),
    frame(1, 0x4, 1, postHeaders(path)), frame(0, 0, 1, Buffer.from([0, 0, 0, 0, 3, 1, 2, 3])),
  ]))
  return client
}

const cutCases = [
  { name: 'RST_STREAM, HTTP/1.1 upstream', protocol: 'http' as const, cut: 'reset' },
  { name: 'RST_STREAM, h2c (grpc) upstream', protocol: 'grpc' as const, cut: 'reset' },
  { name: 'connection lost, HTTP/1.1 upstream', protocol: 'http' as const, cut: 'drop' },
  { name: 'connection lost, h2c (grpc) upstream', protocol: 'grpc' as const, cut: 'drop' },
]
for (const c of cutCases) {
  test(`an HTTP/2 upload cut off by the client (${c.name}) is cut off upstream, never passed on as complete`, { timeout: 10_000 }, async t => {
    const up = c.protocol === 'http' ? await h1Upstream() : await h2Upstream()
    const proxy = await new ResilienceProxy([up.port], {}, {}, c.protocol).start()
    const client = startUpload(proxy.port)
    t.after(async () => {
      client.destroy()
      await proxy.stop()
      up.close()
    })
    await up.started
    if (c.cut === 'reset') client.write(frame(3, 0, 1, RST_CANCEL))
    else client.destroy()
    assert.deepEqual(await up.outcomes, ['aborted'])
  })
}

test('a request mirror of an HTTP/2 upload the client reset is cut off too, never passed on as complete', { timeout: 10_000 }, async t => {
  const up = await h1Upstream(2)                       // the request and its mirrored copy
  const mirror: FilterIR = { type: 'RequestMirror', requestMirror: { service: SERVICE, percent: 100 } }
  const proxy = await new ResilienceProxy([up.port], {}, { filters: [mirror] }).start()
  const client = startUpload(proxy.port)
  t.after(async () => {
    client.destroy()
    await proxy.stop()
    up.close()
  })
  await up.started
  client.write(frame(3, 0, 1, RST_CANCEL))
  assert.deepEqual(await up.outcomes, ['aborted', 'aborted'])
})

test('an HTTP/2 client whose response the upstream cuts off midway sees the stream fail, not end', { timeout: 10_000 }, async t => {
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })        // chunked: no length to check
    res.write(Buffer.alloc(500), () => setImmediate(() => res.socket?.destroy()))
  })
  const proxy = await new ResilienceProxy([await listen(upstream)]).start()
  const session = connect(`http://127.0.0.1:${proxy.port}`)
  t.after(async () => { session.destroy(); await proxy.stop(); upstream.close() })
  const outcome = await new Promise<string>(resolve => {
    const s = session.request({ ':path': '/' })
    s.resume()
    s.on('end', () => resolve('ended as if complete'))
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
  assert.equal(outcome, 'ERR_HTTP2_STREAM_ERROR')
})

test('a gRPC client stream its client cancels is cancelled at the server, never half-closed first', { timeout: 10_000 }, async t => {
  const server = new grpc.Server()
  const seen: string[] = []
  let started!: () => void, cancelled!: () => void
  const streaming = new Promise<void>(resolve => { started = resolve })
  const done = new Promise<void>(resolve => { cancelled = resolve })
  const bytes = (b: Buffer) => b
  server.addService({ upload: { path: '/test.Files/Upload', requestStream: true, responseStream: false,
    requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes } } as unknown as grpc.ServiceDefinition, {
    upload: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      call.on('data', () => { seen.push('message'); started() })
      call.on('end', () => { seen.push('half-closed'); cb(null, Buffer.alloc(0)) })   // an app would commit here
      call.on('cancelled', () => { seen.push('cancelled'); cancelled() })
      call.on('error', () => {})
    },
  } as unknown as grpc.UntypedServiceImplementation)
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))))
  const proxy = await new ResilienceProxy([port], {}, {}, 'grpc').start()
  const client = startUpload(proxy.port, '/test.Files/Upload')
  t.after(async () => { client.destroy(); await proxy.stop(); server.forceShutdown() })
  await streaming
  client.write(frame(3, 0, 1, RST_CANCEL))
  await done
  assert.deepEqual(seen, ['message', 'cancelled'])
})

for (const protocol of ['http', 'http2'] as const) {
  test(`an upstream answer (${protocol}) to a request the listener has already answered itself is dropped, not a crash`, { timeout: 10_000 }, async t => {
    const h1 = createServer((_req, res) => res.end('late'))
    const h2 = createH2Server()
    h2.on('stream', s => { s.on('error', () => {}); s.respond({ ':status': 200 }); s.end('late') })
    const upstreamPort = protocol === 'http' ? await listen(h1) : await listen(h2 as never)
    const cluster = new Cluster('default/up', {
      service: 'default/up', protocol, port: 80, policy: DEFAULT_TRAFFIC_POLICY, healthCheck: null,
      endpoints: [{ address: `127.0.0.1:${upstreamPort}`, instance: null, labels: {}, mesh: false, identity: null }],
    })
    // The front forwards the request, then answers it itself (as a body over the size limit is
    // answered) while the client's upload is still open, so the stream stays open meanwhile.
    let forwarded!: (status: number) => void
    const status = new Promise<number>(resolve => { forwarded = resolve })
    const front = createH2Server((req, res) => {
      const x = new Exchange(req as unknown as IncomingMessage, res as unknown as ServerResponse, '/', null, {}, nowMs(), '127.0.0.1')
      forward(x, cluster, { timeoutMs: 0, attemptTimeoutMs: 0, retry: null }, s => forwarded(s))
      res.writeHead(413)
      res.end()
    })
    const session = connect(`http://127.0.0.1:${await listen(front as never)}`)
    t.after(async () => {
      session.destroy(); front.close(); cluster.close()
      h1.closeAllConnections(); h1.close(); h2.close()
    })
    const got = await new Promise<unknown>((resolve, reject) => {
      const s = session.request({ ':method': 'POST', ':path': '/' })
      s.on('response', h => resolve(h[':status']))
      s.on('error', reject)
      s.write('part of a body')
    })
    assert.equal(got, 413)
    assert.equal(await status, 413, 'recorded with the answer the client got')
  })
}
