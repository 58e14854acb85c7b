// The h2c upstream path (http2 and grpc Services) through a real proxy on 127.0.0.1: trailers an
// upstream sends reach HTTP/1.1 and HTTP/2 clients without framing or hop-by-hop fields, and a
// response cut off by a lost upstream connection fails for them rather than ending; a try that timed
// out is retried once, not twice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect, createServer } from 'node:http2'
import { listen, ResilienceProxy, routeRetry } from './resilience-proxy.test-harness.js'

function h1Call(port: number): Promise<{ body: string; trailers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/test.Echo/Unary', agent: false,
      headers: { 'content-type': 'application/grpc', te: 'trailers' } }, res => {
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ body, trailers: res.trailers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

function h2Call(port: number): Promise<{ body: string; trailers: IncomingHttpHeaders }> {
  const session = connect(`http://127.0.0.1:${port}`)
  return new Promise<{ body: string; trailers: IncomingHttpHeaders }>((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' })
    let body = '', trailers: IncomingHttpHeaders = {}
    s.setEncoding('latin1')
    s.on('data', (c: string) => { body += c })
    s.on('trailers', t => { trailers = { ...t } })
    s.on('end', () => resolve({ body, trailers }))
    s.on('error', reject)
    s.end()
  }).finally(() => session.close())
}

test('trailers from an h2c upstream reach HTTP/1.1 and HTTP/2 clients without content-length or hop-by-hop fields', { timeout: 10_000 }, async t => {
  const upstream = createServer()
  upstream.on('stream', stream => {
    stream.resume()
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'content-length': '5', te: 'trailers', 'x-app': 'kept' }))
    stream.end('hello')
  })
  const proxy = await new ResilienceProxy([await listen(upstream as never)], {}, {}, 'grpc').start()
  t.after(async () => { await proxy.stop(); upstream.close() })
  for (const [client, call] of [['HTTP/1.1', h1Call], ['HTTP/2', h2Call]] as const) {
    const got = await call(proxy.port)
    assert.equal(got.body, 'hello', client)
    assert.equal(got.trailers['grpc-status'], '0', client)
    assert.equal(got.trailers['x-app'], 'kept', client)
    assert.equal(got.trailers['content-length'], undefined, client)
    assert.equal(got.trailers.te, undefined, client)
  }
})

/** GET through the proxy; resolves with how the response ended: 'complete', or the client's error. */
function h1Outcome(port: number): Promise<string> {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, res => {
      res.resume()
      res.on('end', () => resolve('complete'))
      res.on('error', err => resolve(err.message))
    })
    req.on('error', err => resolve(err.message))
    req.end()
  })
}

function h2Outcome(port: number): Promise<string> {
  const session = connect(`http://127.0.0.1:${port}`)
  return new Promise<string>(resolve => {
    const s = session.request({ ':path': '/' })
    s.resume()
    s.on('end', () => resolve('complete'))
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  }).finally(() => session.destroy())
}

test('a response whose h2c upstream connection is lost midway fails for HTTP/1.1 and HTTP/2 clients instead of ending', { timeout: 10_000 }, async t => {
  const upstream = createServer()
  upstream.on('stream', stream => {
    stream.on('error', () => {})
    stream.respond({ ':status': 200 })
    stream.write(Buffer.alloc(500), () => setImmediate(() => stream.session?.destroy()))
  })
  const proxy = await new ResilienceProxy([await listen(upstream as never)], {}, {}, 'http2').start()
  t.after(async () => { await proxy.stop(); upstream.close() })
  assert.equal(await h1Outcome(proxy.port), 'aborted')
  assert.equal(await h2Outcome(proxy.port), 'ERR_HTTP2_STREAM_ERROR')
})

test('an h2c try that times out is retried once: one more stream upstream, one answer to the client', { timeout: 10_000 }, async t => {
  let streams = 0
  let release!: () => void
  const released = new Promise<void>(resolve => { release = resolve })
  const upstream = createServer()
  upstream.on('stream', stream => {
    stream.on('error', () => {})
    stream.resume()
    if (++streams === 1) return                        // the first try never answers
    stream.respond({ ':status': 200 })
    stream.write(`answer ${streams}`)
    void released.then(() => { if (!stream.destroyed) stream.end() })
  })
  const proxy = await new ResilienceProxy([await listen(upstream as never)], {}, { retry: routeRetry(1, [504], 10, 200) }, 'http2').start()
  const session = connect(`http://127.0.0.1:${proxy.port}`)
  t.after(async () => { release(); session.destroy(); await proxy.stop(); upstream.close() })
  const body = await new Promise<string>((resolve, reject) => {
    const s = session.request({ ':path': '/' })
    let text = ''
    s.setEncoding('utf8')
    s.on('response', () => release())
    s.on('data', (c: string) => { text += c })
    s.on('end', () => resolve(text))
    s.on('error', reject)
  })
  assert.equal(body, 'answer 2')
  assert.equal(streams, 2)
})
