// gRPC deadlines (grpc-timeout) through a real proxy on 127.0.0.1 to an h2c upstream: long deadlines
// are neither cut short nor passed on in a form the next hop cannot read.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type IncomingHttpHeaders } from 'node:http2'
import { listen, ResilienceProxy } from '../upstream/resilience-proxy.test-harness.js'
import { parseGrpcTimeout } from './grpc-status.js'

/** One unary-shaped call with this grpc-timeout; resolves with the response headers and trailers. */
function call(port: number, grpcTimeout: string): Promise<IncomingHttpHeaders> {
  const session = connect(`http://127.0.0.1:${port}`)
  return new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': grpcTimeout })
    let got: IncomingHttpHeaders = {}
    s.on('response', h => { got = { ...h } })
    s.on('trailers', t => { got = { ...got, ...t } })
    s.on('end', () => resolve(got))
    s.on('error', reject)
    s.resume()
    s.end(Buffer.alloc(5))
  }).finally(() => session.close())
}

test('a gRPC deadline longer than the longest timer is not cut short, and every hop gets a grpc-timeout it can read', { timeout: 10_000 }, async t => {
  const seen: string[] = []
  const upstream = createServer()
  upstream.on('stream', (stream, headers) => {
    seen.push(String(headers['grpc-timeout']))
    stream.resume()
    // Answers on the next turn of the event loop: an overflowed deadline timer fires first.
    stream.on('end', () => setTimeout(() => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(Buffer.alloc(5))
    }, 20))
  })
  const proxy = await new ResilienceProxy([await listen(upstream as never)], {}, {}, 'grpc').start()
  t.after(async () => {
    await proxy.stop()
    upstream.close()
  })
  for (const deadline of ['720H', '99999999H', '2000M', '99999999S']) {
    const got = await call(proxy.port, deadline)
    assert.equal(got['grpc-status'], '0', `${deadline}: ${String(got['x-trellis-reason'])}`)
  }
  assert.equal(seen.length, 4)
  for (const value of seen) assert.ok(parseGrpcTimeout(value) !== null, `${value} is a grpc-timeout of at most 8 digits`)
})
