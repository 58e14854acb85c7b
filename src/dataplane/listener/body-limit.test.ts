// maxRequestBodyBytes for HTTP/2 clients, through a real proxy on 127.0.0.1: the stream past the
// limit gets the mesh's 413 (a gRPC status for gRPC) and is reset, its upstream request is cut off,
// and the connection's other streams carry on.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { DEFAULT_CLIENT_TRAFFIC } from '../../ir/client-traffic.js'
import { listen, ResilienceProxy } from '../upstream/resilience-proxy.test-harness.js'

/** An upstream that answers bodies up to 100 bytes, and tells when the first bigger upload started
 *  arriving and how it ended. */
async function upstream() {
  let settle!: (how: 'complete' | 'aborted') => void, begun!: () => void
  const outcome = new Promise<'complete' | 'aborted'>(r => { settle = r })
  const started = new Promise<void>(r => { begun = r })
  const server = createServer((req, res) => {
    let n = 0
    req.on('data', (c: Buffer) => { n += c.length; if (n > 100) begun() })
    req.on('end', () => { if (n > 100) settle('complete'); res.end(`got ${n}`) })
    req.on('aborted', () => settle('aborted'))
    req.on('error', () => {})
  })
  return { port: await listen(server), started, outcome, close: () => { server.closeAllConnections(); server.close() } }
}

/** Sends 600 bytes, then once `more` resolves 600 more, without ending; resolves with the response
 *  once the stream closed. */
function oversized(session: ClientHttp2Session, headers: Record<string, string>, more: Promise<void>): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/', ...headers })
    let got: IncomingHttpHeaders = {}
    s.on('response', h => { got = { ...h } })
    s.on('trailers', t => { got = { ...got, ...t } })
    s.on('error', () => {})                            // the reset after the answer
    s.on('close', () => (got[':status'] ? resolve(got) : reject(new Error(`no response; rst ${s.rstCode}`))))
    s.resume()
    s.write(Buffer.alloc(600))
    void more.then(() => s.write(Buffer.alloc(600)))
  })
}

function small(session: ClientHttp2Session): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/' })
    let body = ''
    s.setEncoding('utf8')
    s.on('data', (c: string) => { body += c })
    s.on('end', () => resolve(body))
    s.on('error', reject)
    s.end('hello')
  })
}

const cases: { name: string; headers: Record<string, string>; want: Record<string, unknown> }[] = [
  { name: 'HTTP', headers: { 'content-type': 'application/octet-stream' }, want: { ':status': 413, 'x-trellis-reason': 'too_large' } },
  { name: 'gRPC', headers: { 'content-type': 'application/grpc', te: 'trailers' }, want: { ':status': 200, 'grpc-status': '8', 'x-trellis-reason': 'too_large' } },
]
for (const c of cases) {
  test(`an HTTP/2 ${c.name} body over maxRequestBodyBytes: the mesh's answer, the upstream request cut off, the connection kept`, { timeout: 10_000 }, async t => {
    const up = await upstream()
    const proxy = await new ResilienceProxy([up.port]).start()
    proxy.clientTraffic({ ...DEFAULT_CLIENT_TRAFFIC, maxRequestBodyBytes: 1000 })
    const session = connect(`http://127.0.0.1:${proxy.port}`)
    t.after(async () => {
      session.destroy()
      await proxy.stop()
      up.close()
    })
    const got = await oversized(session, c.headers, up.started)  // the upstream request is under way
    for (const [name, value] of Object.entries(c.want)) assert.equal(got[name], value, name)
    assert.equal(await up.outcome, 'aborted')
    assert.equal(await small(session), 'got 5', 'the same connection serves the next request')
  })
}
