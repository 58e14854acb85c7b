// Hostile and broken clients never crash a proxy or get an ambiguous request through: garbage
// bytes, truncated and aborted requests, smuggling attempts, clients vanishing mid-body or mid-
// response, on HTTP/1.1 and HTTP/2. After each barrage the proxy still serves normal traffic.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as netConnect } from 'node:net'
import { connect as h2connect } from 'node:http2'
import { request } from 'node:http'
import { TestMesh } from './harness/mesh.js'
import { docs, service, workload } from './harness/fixtures.js'
import { get, sleep } from './harness/http.js'
import { mulberry32 } from '../lib/mulberry32.js'

const mesh = new TestMesh()
let port = 0

before(async () => {
  await mesh.start()
  await mesh.apply(docs(service('api'), workload('api'), workload('client', { upstreams: ['api'] })))
  const client = await mesh.replica('client', 0)
  await mesh.replica('api', 0, { delayMs: 20 })
  await mesh.settled()
  port = client.sidecar.outboundPort('default/api')
})
after(() => mesh.stop())

/** Sends raw bytes, collects whatever comes back until the server closes or 1 s passes. */
function raw(bytes: Buffer | string, closeAfterWrite = false): Promise<string> {
  return new Promise(resolve => {
    const s = netConnect(port, '127.0.0.1')
    let data = ''
    const timer = setTimeout(() => { s.destroy(); resolve(data) }, 1000)
    s.on('connect', () => { s.write(bytes); if (closeAfterWrite) s.destroy() })
    s.on('data', d => { data += d.toString('latin1') })
    s.on('close', () => { clearTimeout(timer); resolve(data) })
    s.on('error', () => {})
  })
}

async function stillServes(): Promise<void> {
  const r = await get(`http://127.0.0.1:${port}/ok`)
  assert.equal(r.status, 200)
  assert.equal(mesh.backends[1].name, 'api-0')
}

test('request smuggling attempts are refused with 400 and never reach the app', async () => {
  const hitsBefore = mesh.backends[1].hits
  const attempts = [
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\nhello!',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n',
    'GET / HTTP/1.1\nHost: a\n\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
    'GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n',
  ]
  for (const a of attempts) {
    const reply = await raw(a)
    assert.match(reply, /^HTTP\/1\.1 400 /, JSON.stringify(a))
  }
  assert.equal(mesh.backends[1].hits, hitsBefore, 'none reached the app')
  await stillServes()
})

test('random garbage, truncated requests and vanishing clients do not hurt the proxy', async () => {
  const rand = mulberry32(7)
  for (let i = 0; i < 60; i++) {
    const len = 1 + Math.floor(rand() * 300)
    const buf = Buffer.alloc(len)
    for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256)
    await raw(i % 3 === 0 ? Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'), buf]) : buf, i % 2 === 0)
  }
  await raw('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nonly a little', true)
  await raw('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n', true) // gone before the (delayed) answer
  await sleep(100)
  await stillServes()
})

test('an upload aborted mid-body and a client that stops reading mid-response are cleaned up', async () => {
  await new Promise<void>(resolve => {
    const req = request({ port, method: 'POST', path: '/upload', headers: { 'content-length': 10_000_000 } })
    req.on('error', () => resolve())
    req.write(Buffer.alloc(64 * 1024))
    setTimeout(() => { req.destroy(); resolve() }, 50)
  })
  await sleep(100)
  await stillServes()
})

test('broken HTTP/2 clients: a bad preface, a reset stream, a session torn down mid-request', async () => {
  await raw('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + 'garbage-instead-of-settings')
  const session = h2connect(`http://127.0.0.1:${port}`)
  session.on('error', () => {})
  const s1 = session.request({ ':path': '/a', ':method': 'POST' })
  s1.on('error', () => {})
  s1.write('partial')
  s1.close(8) // RST_STREAM CANCEL
  const s2 = session.request({ ':path': '/b' })
  s2.on('error', () => {})
  await sleep(5)
  session.destroy()
  await sleep(100)
  await stillServes()
  const ok = h2connect(`http://127.0.0.1:${port}`)
  const status = await new Promise<number>((resolve, reject) => {
    const s = ok.request({ ':path': '/h2' })
    s.on('response', h => resolve(Number(h[':status'])))
    s.on('error', reject)
    s.resume()
  })
  ok.close()
  assert.equal(status, 200)
})
