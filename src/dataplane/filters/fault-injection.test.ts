// Fault injection through a real proxy on 127.0.0.1: a client that leaves during an injected delay
// gets nothing sent upstream on its behalf, over HTTP/1.1 and HTTP/2.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type ServerResponse } from 'node:http'
import { connect } from 'node:http2'
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
