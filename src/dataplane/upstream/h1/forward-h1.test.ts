// The HTTP/1.1 upstream path end to end: a proxy (StaticProxy, the real request path) in front of raw
// TCP servers that answer exactly the bytes a test wants, sound or hostile.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { connect as connectH2 } from 'node:http2'
import { request } from 'node:http'
import { StaticProxy } from '../../static-proxy.js'

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function send(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 5000 }, res => {
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${path}`)))
    req.on('error', reject)
    req.end()
  })
}

/** A raw upstream: `answer(n, socket)` is called for the n-th request on each socket (n from 0). */
async function withUpstream(answer: (n: number, s: Socket, head: string) => void, run: (proxyPort: number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>()
  const server = createNetServer(s => {
    sockets.add(s)
    let n = 0
    let buf = ''
    s.on('data', d => {
      buf += d.toString('latin1')
      let end: number
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) { const head = buf.slice(0, end); buf = buf.slice(end + 4); answer(n++, s, head) }
    })
    s.on('error', () => {})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const proxy = new StaticProxy({ listenHost: '127.0.0.1', listenPort: 0, upstream: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, adminPort: null })
  await proxy.start()
  try { await run(proxy.port) } finally {
    await proxy.stop(0)
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

test('h1 upstream: conflicting framing from the upstream is a 502, never passed on', async () => {
  await withUpstream((_n, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc'), async port => {
    const r = await send(port, '/')
    assert.equal(r.status, 502)
    assert.equal(r.headers['x-trellis-reason'], 'upstream_reset')
  })
})

test('h1 upstream: a reused socket dropped before the response is retried on a new one', async () => {
  let opened = 0
  await withUpstream((n, s) => {
    if (n === 0) { opened++; s.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`) } else s.destroy()
  }, async port => {
    for (let i = 0; i < 3; i++) {
      const r = await send(port, `/${i}`)
      assert.equal(r.status, 200, `request ${i}`)
      assert.equal(r.body, 'ok')
    }
    assert.equal(opened, 3)
  })
})

test('h1 upstream: 100-continue skipped, chunked body and trailers, hop-by-hop headers dropped', async () => {
  await withUpstream((_n, s) => s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: x-secret\r\nX-Secret: no\r\nKeep-Alive: timeout=5\r\nX-App: yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n'), async port => {
    const r = await send(port, '/')
    assert.equal(r.status, 200)
    assert.equal(r.body, 'abcde')
    assert.equal(r.headers['x-app'], 'yes')
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2'])
    assert.equal(r.headers['x-secret'], undefined)
    assert.equal(r.headers['keep-alive'], undefined)
  })
})

test('h1 upstream: HEAD and 204 carry no body and keep the socket usable', async () => {
  let opened = 0
  await withUpstream((n, s, head) => {
    if (n === 0) opened++
    if (head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')
    else if (head.startsWith('GET /empty')) s.write('HTTP/1.1 204 No Content\r\n\r\n')
    else s.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody')
  }, async port => {
    const h = await send(port, '/', 'HEAD')
    assert.equal(h.status, 200)
    assert.equal(h.headers['content-length'], '10')
    assert.equal((await send(port, '/empty')).status, 204)
    assert.equal((await send(port, '/')).body, 'body')
    assert.equal(opened, 1)
  })
})

test('h1 upstream: a close-delimited body ends at EOF and the socket is not reused', async () => {
  let opened = 0
  await withUpstream((n, s) => { if (n === 0) opened++; s.end('HTTP/1.1 200 OK\r\n\r\nuntil eof') }, async port => {
    assert.equal((await send(port, '/a')).body, 'until eof')
    assert.equal((await send(port, '/b')).body, 'until eof')
    assert.equal(opened, 2)
  })
})

test('h1 upstream: a body cut short after the head resets the client connection', async () => {
  await withUpstream((_n, s) => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'); setTimeout(() => s.destroy(), 20) }, async port => {
    await assert.rejects(send(port, '/'))
  })
})

test('h1 upstream: connection-specific and framing fields in trailers are dropped, for HTTP/1.1 and HTTP/2 clients', { timeout: 5000 }, async () => {
  // HTTP/2 refuses such fields outright; passed on, they threw out of the upstream socket's read.
  const trailers = 'Connection: close\r\nTransfer-Encoding: x\r\nTE: gzip\r\nKeep-Alive: 1\r\nUpgrade: h2c\r\nContent-Length: 9\r\nX-Sum: 42\r\n'
  await withUpstream((_n, s) => s.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n${trailers}\r\n`), async port => {
    const h2 = await new Promise<{ status: number; body: string; trailers: Record<string, unknown> }>((resolve, reject) => {
      const session = connectH2(`http://127.0.0.1:${port}`)
      session.on('error', reject)
      const out = { status: 0, body: '', trailers: {} as Record<string, unknown> }
      const stream = session.request({ ':path': '/' })
      stream.on('response', h => { out.status = Number(h[':status']) })
      stream.on('trailers', t => { out.trailers = Object.fromEntries(Object.entries(t)) })
      stream.setEncoding('latin1')
      stream.on('data', (c: string) => { out.body += c })
      stream.on('error', reject)
      stream.on('close', () => { session.close(); resolve(out) })
      stream.end()
    })
    assert.deepEqual(h2, { status: 200, body: 'ok', trailers: { 'x-sum': '42' } })
    const raw = await new Promise<string>(resolve => {
      const c = connect(port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'))
      let got = ''
      c.on('data', d => { got += d.toString('latin1') })
      c.on('close', () => resolve(got))
    })
    assert.match(raw, /\r\n0\r\nx-sum: 42\r\n\r\n$/i, raw)
  })
})

test('h1 upstream: every malformed answer is a clean 502, and its socket is never used again', async () => {
  const hostile: [string, string][] = [
    ['bad status line', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['protocol switch', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'],
    ['bare LF', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
    ['NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok'],
    ['head over 64 KB', `HTTP/1.1 200 OK\r\nX-A: ${'a'.repeat(70_000)}\r\n\r\n`],
  ]
  const answers = new Map<Socket, string>()
  await withUpstream((n, s, head) => {
    const path = head.split(' ')[1]
    const bad = hostile.find(([name]) => path === `/${encodeURIComponent(name)}`)
    // A sound answer followed by stray bytes that look like a second response.
    if (bad === undefined) { s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil'); answers.set(s, 'sound') }
    else { s.write(bad[1]); answers.set(s, bad[0]) }
    assert.equal(n, 0, `socket that answered ${answers.get(s)} was used again`)
  }, async port => {
    for (const [name] of hostile) {
      const r = await send(port, `/${encodeURIComponent(name)}`)
      assert.deepEqual([r.status, r.headers['x-trellis-reason']], [502, 'upstream_reset'], name)
      const next = await send(port, '/next')
      assert.deepEqual([next.status, next.body], [200, 'ok'], `after ${name}`)
    }
  })
})
