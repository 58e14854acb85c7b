// Fault injection through a real proxy on 127.0.0.1: a client that leaves during an injected delay
// gets nothing sent upstream on its behalf, over HTTP/1.1 and HTTP/2; an injected abort answers a
// gRPC client with the gRPC status the abort's HTTP status maps to, or its own grpcStatus.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type ServerResponse } from 'node:http'
import { connect, createServer as createH2Server } from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import { listen, ResilienceProxy } from '../upstream/resilience-proxy.test-harness.js'

const DELAY = { delay: { percent: 100, durationMs: 300 }, abort: null }
const ONE_AT_A_TIME = { circuitBreaker: { maxConnections: 1024, maxRequests: 1, maxPendingRequests: 0 } }

/** An upstream that records each request's path and streams an endless response to it. */
async function streamingUpstream(): Promise<{ port: number; paths: string[]; close: () => void }> {
  const paths: string[] = []
  const open = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    paths.push(req.url ?? '')
    open.add(res)
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('streaming\n')
    res.on('close', () => open.delete(res))
  })
  const port = await listen(server)
  return { port, paths, close: () => { for (const r of open) r.destroy(); server.closeAllConnections(); server.close() } }
}

test('an HTTP/2 client that resets its stream during an injected delay sends nothing upstream and holds no circuit breaker slot', async () => {
  const up = await streamingUpstream()
  const proxy = await new ResilienceProxy([up.port], ONE_AT_A_TIME, { fault: DELAY }).start()
  const session = connect(`http://127.0.0.1:${proxy.port}`)
  try {
    const first = session.request({ ':path': '/first' })
    first.on('error', () => {})
    await new Promise<void>(resolve => first.once('ready', resolve))
    first.close(8)                                    // RST_STREAM(CANCEL) while the proxy holds it
    await new Promise<void>(resolve => first.once('close', resolve))
    const second = session.request({ ':path': '/second' })
    const status = await new Promise<unknown>((resolve, reject) => {
      second.once('response', h => resolve(h[':status']))
      second.once('error', reject)
    })
    second.close()
    assert.equal(status, 200, 'the one circuit breaker slot was free for the next request')
    assert.deepEqual(up.paths, ['/second'])
  } finally {
    session.destroy()
    await proxy.stop()
    up.close()
  }
})

test('an HTTP/1.1 client that leaves during an injected delay sends nothing upstream', async () => {
  const up = await streamingUpstream()
  const proxy = await new ResilienceProxy([up.port], ONE_AT_A_TIME, { fault: DELAY }).start()
  try {
    const first = request({ host: '127.0.0.1', port: proxy.port, path: '/first', agent: false })
    first.on('error', () => {})
    first.end()
    await new Promise<void>(resolve => first.once('socket', s => s.once('connect', () => resolve())))
    first.destroy()
    const status = await new Promise<number>((resolve, reject) => {
      const second = request({ host: '127.0.0.1', port: proxy.port, path: '/second', agent: false }, res => { resolve(res.statusCode ?? 0); res.destroy() })
      second.on('error', reject)
      second.end()
    })
    assert.equal(status, 200)
    assert.deepEqual(up.paths, ['/second'])
  } finally {
    await proxy.stop()
    up.close()
  }
})

/** One unary gRPC call through the proxy: the status the client reads, and x-trellis-reason. */
function grpcCall(port: number): Promise<{ code: number; reason: unknown }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
  const bytes = (b: Buffer) => b
  return new Promise<{ code: number; reason: unknown }>(resolve => {
    client.makeUnaryRequest('/test.Echo/Unary', bytes, bytes, Buffer.from('hi'), (err: grpc.ServiceError | null) => {
      resolve({ code: err?.code ?? grpc.status.OK, reason: err?.metadata.get('x-trellis-reason')[0] })
    })
  }).finally(() => client.close())
}

test('an injected abort answers a gRPC call with the gRPC status of its HTTP status, or its grpcStatus', { timeout: 20_000 }, async t => {
  let hits = 0
  const upstream = createH2Server()
  upstream.on('stream', stream => { hits++; stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, { endStream: true }) })
  const port = await listen(upstream as never)
  t.after(() => upstream.close())
  const cases = [
    { status: 400, grpcStatus: null, want: grpc.status.INTERNAL },
    { status: 401, grpcStatus: null, want: grpc.status.UNAUTHENTICATED },
    { status: 403, grpcStatus: null, want: grpc.status.PERMISSION_DENIED },
    { status: 404, grpcStatus: null, want: grpc.status.UNIMPLEMENTED },
    { status: 429, grpcStatus: null, want: grpc.status.UNAVAILABLE },
    { status: 500, grpcStatus: null, want: grpc.status.UNKNOWN },
    { status: 502, grpcStatus: null, want: grpc.status.UNAVAILABLE },
    { status: 503, grpcStatus: null, want: grpc.status.UNAVAILABLE },
    { status: 504, grpcStatus: null, want: grpc.status.UNAVAILABLE },
    { status: 503, grpcStatus: grpc.status.NOT_FOUND, want: grpc.status.NOT_FOUND },
    { status: 400, grpcStatus: grpc.status.RESOURCE_EXHAUSTED, want: grpc.status.RESOURCE_EXHAUSTED },
  ]
  for (const c of cases) {
    const fault = { delay: null, abort: { percent: 100, status: c.status, grpcStatus: c.grpcStatus } }
    const proxy = await new ResilienceProxy([port], {}, { fault }, 'grpc').start()
    try {
      const got = await grpcCall(proxy.port)
      assert.deepEqual(got, { code: c.want, reason: 'fault_injected' }, `status ${c.status}, grpcStatus ${c.grpcStatus}`)
    } finally {
      await proxy.stop()
    }
  }
  assert.equal(hits, 0, 'no aborted call reached the upstream')
})

test('an injected abort answers an HTTP client with its configured status, whatever its grpcStatus', async t => {
  const up = await streamingUpstream()
  const fault = { delay: null, abort: { percent: 100, status: 404, grpcStatus: grpc.status.NOT_FOUND } }
  const proxy = await new ResilienceProxy([up.port], {}, { fault }).start()
  t.after(async () => { await proxy.stop(); up.close() })
  const got = await new Promise<{ status: number; reason: unknown }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/', agent: false }, res => {
      resolve({ status: res.statusCode ?? 0, reason: res.headers['x-trellis-reason'] })
      res.resume()
    })
    req.on('error', reject)
    req.end()
  })
  assert.deepEqual(got, { status: 404, reason: 'fault_injected' })
  assert.deepEqual(up.paths, [])
})
