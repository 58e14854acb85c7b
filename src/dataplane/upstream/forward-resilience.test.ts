// Retries, timeouts and circuit breaking on the forwarding path, through a real proxy in front of
// real upstreams on 127.0.0.1: what the client gets and what the upstream sees.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { createHash } from 'node:crypto'
import { listen, ResilienceProxy, routeRetry } from './resilience-proxy.test-harness.js'

interface Reply { status: number; headers: IncomingMessage['headers']; body: Buffer; error: string | null }

/** One request; a body given as chunks is written `gapMs` apart. Never rejects: a reset is `error`. */
function send(port: number, opts: { method?: string; path?: string; chunks?: Buffer[]; gapMs?: number; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise(resolve => {
    const chunks = opts.chunks ?? null
    const headers: Record<string, string> = {}
    if (chunks) headers['content-length'] = String(chunks.reduce((n, c) => n + c.length, 0))
    const got: Buffer[] = []
    let status = 0, resHeaders: IncomingMessage['headers'] = {}
    const finish = (error: string | null) => resolve({ status, headers: resHeaders, body: Buffer.concat(got), error })
    const req = request({ host: '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers, agent: false, timeout: opts.timeoutMs ?? 10_000 }, res => {
      status = res.statusCode ?? 0
      resHeaders = res.headers
      res.on('data', (c: Buffer) => got.push(c))
      res.on('end', () => finish(null))
      res.on('error', err => finish(err.message))
    })
    req.on('timeout', () => req.destroy(new Error('client timeout')))
    req.on('error', err => { if (status === 0) finish(err.message) })
    if (!chunks) { req.end(); return }
    let i = 0
    const next = () => {
      if (i === chunks.length) { req.end(); return }
      req.write(chunks[i++])
      setTimeout(next, opts.gapMs ?? 0)
    }
    next()
  })
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function withProxy(upstreams: ((req: IncomingMessage, res: ServerResponse) => void)[], setup: (ports: number[]) => ResilienceProxy,
    run: (proxy: ResilienceProxy) => Promise<void>): Promise<void> {
  const servers = upstreams.map(h => createServer(h))
  const ports: number[] = []
  for (const s of servers) ports.push(await listen(s))
  const proxy = await setup(ports).start()
  try { await run(proxy) } finally {
    await proxy.stop()
    for (const s of servers) { s.closeAllConnections(); s.close() }
  }
}

test('a response that streams longer than the request timeout reaches the client whole', async () => {
  const parts = 6
  await withProxy([(_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    let i = 0
    const tick = setInterval(() => {
      res.write(`part ${i}\n`)
      if (++i === parts) { clearInterval(tick); res.end() }
    }, 100)
    res.on('close', () => clearInterval(tick))
  }], ports => new ResilienceProxy(ports, {}, { requestMs: 250 }), async proxy => {
    const r = await send(proxy.port)
    assert.equal(r.error, null, 'the response was cut short')
    assert.equal(r.status, 200)
    assert.equal(r.body.toString().split('\n').filter(Boolean).length, parts)
  })
})

test('a response that does not start within the request timeout is a 504 timeout', async () => {
  await withProxy([(_req, res) => { setTimeout(() => { if (!res.destroyed) res.end('late') }, 3000).unref() }],
    ports => new ResilienceProxy(ports, {}, { requestMs: 200 }), async proxy => {
      const r = await send(proxy.port)
      assert.equal(r.status, 504)
      assert.equal(r.headers['x-trellis-reason'], 'timeout')
    })
})

test('a route\'s request timeout of 0 (none) switches off the Service policy\'s; a route without one gets the policy\'s', async () => {
  const slow = (_req: IncomingMessage, res: ServerResponse) => { setTimeout(() => { if (!res.destroyed) res.end('late') }, 600).unref() }
  await withProxy([slow], ports => new ResilienceProxy(ports, { timeoutMs: 100 }, { requestMs: 0 }), async proxy => {
    const r = await send(proxy.port)
    assert.equal(r.status, 200)
    assert.equal(r.body.toString(), 'late')
  })
  await withProxy([slow], ports => new ResilienceProxy(ports, { timeoutMs: 100 }), async proxy => {
    const r = await send(proxy.port)
    assert.equal(r.status, 504)
    assert.equal(r.headers['x-trellis-reason'], 'timeout')
  })
})

test('a body still arriving while a retry backs off is replayed whole, never cut', async () => {
  // 160 KiB, sent in 16 KiB pieces: the first try answers 503 at once, before the body is in; the
  // rest arrives during the backoff and pushes the body past what can be kept for replay.
  const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(16 * 1024, 97 + i))
  const whole = Buffer.concat(chunks)
  const seen: { bytes: number; digest: string }[] = []
  let tries = 0
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (tries++ === 0) { res.writeHead(503, { connection: 'close' }); res.end(); req.resume(); return }
    const got: Buffer[] = []
    req.on('data', (c: Buffer) => got.push(c))
    req.on('end', () => { const b = Buffer.concat(got); seen.push({ bytes: b.length, digest: sha(b) }); res.end('ok') })
    req.on('close', () => { if (!req.complete) seen.push({ bytes: Buffer.concat(got).length, digest: 'cut short' }) })
  }
  await withProxy([handler, handler], ports => new ResilienceProxy(ports, { loadBalancer: { type: 'RoundRobin', hashOn: null } },
    { retry: routeRetry(2, [503], 200), requestMs: 3000 }), async proxy => {
    const r = await send(proxy.port, { method: 'PUT', chunks, gapMs: 5 })
    for (const s of seen) assert.equal(s.digest, sha(whole), `an upstream got ${s.bytes} of ${whole.length} bytes`)
    if (r.status === 200) assert.equal(seen.length, 1)
    else assert.equal(r.status, 503, `${r.status} ${r.headers['x-trellis-reason']}`)   // not retried (too large to replay): the 503 as it came
  })
})

test('requests in flight when a circuit breaker is added do not free slots they never held', async () => {
  const held: ServerResponse[] = []
  await withProxy([(_req, res) => { held.push(res) }], ports => new ResilienceProxy(ports), async proxy => {
    const answerAll = () => { for (const res of held.splice(0)) res.end('ok') }
    const waitHeld = async (n: number) => {
      for (let i = 0; i < 200 && held.length < n; i++) await new Promise(r => setTimeout(r, 10))
      assert.equal(held.length, n)
    }
    // Four requests in flight with no breaker; then a breaker of 2 (no waiting) comes with a config update.
    const before = Array.from({ length: 4 }, () => send(proxy.port))
    await waitHeld(4)
    proxy.update({ circuitBreaker: { maxConnections: 1024, maxRequests: 2, maxPendingRequests: 0 } })
    answerAll()
    for (const r of await Promise.all(before)) assert.equal(r.status, 200)
    // Now five at once: two are admitted, three are turned away at once.
    const after = Array.from({ length: 5 }, () => send(proxy.port))
    for (let i = 0; i < 200 && held.length < 2; i++) await new Promise(r => setTimeout(r, 10))
    await new Promise(r => setTimeout(r, 100))
    const admitted = held.length
    answerAll()
    const replies = await Promise.all(after)
    assert.equal(admitted, 2)
    assert.equal(replies.filter(r => r.status === 503 && r.headers['x-trellis-reason'] === 'overloaded').length, 3)
    assert.equal(proxy.upstream.breaker!.active, 0)
  })
})

test('requests that time out or are abandoned by their client still end on their endpoint: LeastRequest keeps using it', async () => {
  let slow = true
  const hits = [0, 0]
  const handler = (i: number) => (_req: IncomingMessage, res: ServerResponse) => {
    hits[i]++
    if (i === 0 && slow) return                     // hangs: the proxy's timeout or the client gives up
    res.end('ok')
  }
  await withProxy([handler(0), handler(1)], ports => new ResilienceProxy(ports, {}, { requestMs: 300 }), async proxy => {
    for (const clientTimeoutMs of [5000, 50]) {     // the proxy's request timeout, then the client leaving first
      slow = true
      const start = hits[0]
      for (let i = 0; i < 50 && hits[0] === start; i++) await send(proxy.port, { timeoutMs: clientTimeoutMs })
      assert.equal(hits[0], start + 1, 'the first endpoint got no request')
      slow = false
      await new Promise(r => setTimeout(r, 400))
      const before = hits[0]
      for (let i = 0; i < 40; i++) assert.equal((await send(proxy.port)).status, 200)
      // One request at a time, both endpoints are idle: each gets a fair share, not none.
      assert.ok(hits[0] - before >= 5, `the first endpoint got ${hits[0] - before} of 40 requests (client timeout ${clientTimeoutMs} ms)`)
      for (const ep of proxy.upstream.endpoints) assert.equal(ep.stats.inflight, 0, `${ep.key} still counts requests in flight`)
    }
  })
})

test('a client reading a response slowly is not cut off by the backend request timeout', async () => {
  const size = 8 * 1024 * 1024
  await withProxy([(_req, res) => { res.writeHead(200, { 'content-length': size }); res.end(Buffer.alloc(size, 120)) }],
    ports => new ResilienceProxy(ports, {}, { backendRequestMs: 300 }), async proxy => {
      const r = await new Promise<{ bytes: number; error: string | null }>(resolve => {
        const req = request({ host: '127.0.0.1', port: proxy.port, path: '/', agent: false }, res => {
          let bytes = 0
          res.pause()                                         // the client reads nothing for a while
          setTimeout(() => { res.on('data', (c: Buffer) => { bytes += c.length }); res.resume() }, 1200)
          res.on('end', () => resolve({ bytes, error: null }))
          res.on('error', err => resolve({ bytes, error: err.message }))
        })
        req.setTimeout(15_000, () => req.destroy(new Error('client timeout')))
        req.on('error', err => resolve({ bytes: 0, error: err.message }))
        req.end()
      })
      assert.equal(r.error, null, `the response was cut after ${r.bytes} bytes`)
      assert.equal(r.bytes, size)
    })
})

test('an HTTP/2 upstream that closes a stream cleanly without answering gives a 502 at once, not a wait', async () => {
  const { createServer: createH2Server, constants } = await import('node:http2')
  const h2 = createH2Server()
  let streams = 0
  h2.on('stream', stream => { streams++; stream.close(constants.NGHTTP2_NO_ERROR) })
  const port = await listen(h2 as unknown as import('node:net').Server)
  const proxy = await new ResilienceProxy([port], {}, {}, 'http2').start()
  try {
    const r = await send(proxy.port, { timeoutMs: 8000 })
    assert.equal(r.error, null, 'answered, not left waiting')
    assert.equal(r.status, 502)
    assert.equal(r.headers['x-trellis-reason'], 'upstream_reset')
    assert.ok(streams >= 1)
  } finally {
    await proxy.stop()
    h2.close()
  }
})
