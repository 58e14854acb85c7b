// ClientTrafficPolicy at a Gateway listener: each limit (431 / 414 / 413, also counted while a
// chunked body streams), the requestHeaders timeout, maxConnections, each path option, and
// trustedHops for x-forwarded-for — against a listener with defaults on another port.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { freePort } from '../supervisor/free-port.js'
import { get } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'

const mesh = new TestMesh()
let strict = '', open = '', strictPort = 0

before(async () => {
  strictPort = await freePort()
  const openPort = await freePort()
  strict = `http://127.0.0.1:${strictPort}`
  open = `http://127.0.0.1:${openPort}`
  await mesh.start()
  await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: 80, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: [x] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
    - { name: strict, port: ${strictPort}, protocol: HTTP }
    - { name: open, port: ${openPort}, protocol: HTTP }
---
apiVersion: trellis.dev/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: strict }
spec:
  targetRef: { kind: Gateway, name: edge, sectionName: strict }
  limits: { maxRequestHeadersBytes: 2048, maxRequestHeaders: 12, maxUrlBytes: 200, maxRequestBodyBytes: 1000, maxConnections: 3 }
  timeouts: { requestHeaders: 500ms }
---
apiVersion: trellis.dev/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: open }
spec:
  targetRef: { kind: Gateway, name: edge, sectionName: open }
  clientIP: { trustedHops: 1 }
  paths: { allowEncodedSlashes: true, allowBackslashes: true, allowSemicolons: true }
---
apiVersion: trellis.dev/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: api-inbound }
spec:
  targetRef: { kind: Service, name: api }   # the app's sidecar normalizes too: it must allow the same
  paths: { allowEncodedSlashes: true, allowBackslashes: true, allowSemicolons: true }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
`)
  await mesh.replica('api', 0)
  await mesh.gateway('edge')
  await mesh.settled()
})
after(() => mesh.stop())

function post(url: string, chunks: string[], chunked: boolean): Promise<{ status: number; reason: string | undefined; bodyBytes?: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = chunked ? {} : { 'content-length': String(chunks.join('').length) }
    const req = request(url, { method: 'POST', headers, agent: false, timeout: 5000 }, res => {
      let data = ''
      res.on('data', c => { data += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reason: res.headers['x-trellis-reason'] as string | undefined,
        bodyBytes: res.statusCode === 200 ? JSON.parse(data).bodyBytes : undefined }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    for (const c of chunks) req.write(c)
    req.end()
  })
}

test('header, URL and body limits answer 431 / 414 / 413 with x-trellis-reason: too_large', async () => {
  const many: Record<string, string> = {}
  for (let i = 0; i < 14; i++) many[`x-h${i}`] = '1'
  const cases = [
    { name: 'within limits', url: `${strict}/ok`, headers: {}, want: 200 },
    { name: 'header bytes', url: `${strict}/ok`, headers: { 'x-big': 'a'.repeat(2100) }, want: 431 },
    { name: 'header count', url: `${strict}/ok`, headers: many, want: 431 },
    { name: 'url bytes', url: `${strict}/${'u'.repeat(250)}`, headers: {}, want: 414 },
    { name: 'defaults elsewhere', url: `${open}/${'u'.repeat(250)}`, headers: { 'x-big': 'a'.repeat(2100), ...many }, want: 200 },
  ]
  for (const c of cases) {
    const r = await get(c.url, c.headers)
    assert.equal(r.status, c.want, c.name)
    if (c.want !== 200) assert.equal(r.headers['x-trellis-reason'], 'too_large', c.name)
  }
  const small = await post(`${strict}/up`, ['x'.repeat(900)], false)
  assert.deepEqual([small.status, small.bodyBytes], [200, 900])
  const announced = await post(`${strict}/up`, ['x'.repeat(1500)], false)
  assert.deepEqual([announced.status, announced.reason], [413, 'too_large'])
  const streamed = await post(`${strict}/up`, ['x'.repeat(600), 'y'.repeat(600)], true)
  assert.deepEqual([streamed.status, streamed.reason], [413, 'too_large'])
  const fine = await post(`${strict}/up`, ['x'.repeat(400), 'y'.repeat(400)], true)
  assert.deepEqual([fine.status, fine.bodyBytes], [200, 800])
})

function raw(port: number, text: string, waitMs = 5000): Promise<string> {
  return new Promise(resolve => {
    const s = connect(port, '127.0.0.1')
    let got = ''
    const t = setTimeout(() => { s.destroy(); resolve(got) }, waitMs)
    s.setEncoding('utf8')
    s.on('data', (d: string) => { got += d })
    s.on('close', () => { clearTimeout(t); resolve(got) })
    s.on('error', () => {})
    s.write(text)
  })
}

test('requestHeaders timeout: a client that never finishes its headers gets 408', async () => {
  const started = Date.now()
  const reply = await raw(strictPort, 'GET / HTTP/1.1\r\nhost: x\r\n')
  assert.match(reply, /^HTTP\/1\.1 408 /)
  assert.ok(Date.now() - started < 3000)
})

test('maxConnections: connections past the limit are closed at once', async () => {
  const held: Socket[] = []
  for (let i = 0; i < 3; i++) {
    const s = connect(strictPort, '127.0.0.1')
    await new Promise(r => s.once('connect', r))
    held.push(s)
  }
  await new Promise(r => setTimeout(r, 50))
  const reply = await raw(strictPort, 'GET /ok HTTP/1.1\r\nhost: x\r\n\r\n', 3000)
  assert.equal(reply, '')
  for (const s of held) s.destroy()
  await new Promise(r => setTimeout(r, 100))
  assert.equal((await get(`${strict}/ok`)).status, 200)
})

test('path rules: rejected by default with 400 bad_request, forwarded as sent where allowed', async () => {
  const cases = [
    { path: '/a%2Fb', forwarded: '/a%2Fb' },
    { path: '/a\\b', forwarded: '/a\\b' },
    { path: '/a;v=1/b', forwarded: '/a;v=1/b' },
  ]
  for (const c of cases) {
    const denied = await raw(strictPort, `GET ${c.path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)
    assert.match(denied, /^HTTP\/1\.1 400 /, c.path)
    assert.match(denied, /x-trellis-reason: bad_request/i, c.path)
    const allowed = await raw(Number(new URL(open).port), `GET ${c.path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`)
    assert.match(allowed, /^HTTP\/1\.1 200 /, c.path)
    assert.equal(JSON.parse(allowed.slice(allowed.indexOf('{'), allowed.lastIndexOf('}') + 1)).url, c.forwarded, c.path)
  }
})

test('trustedHops: the client x-forwarded-for is kept as far as trusted, then the peer appended', async () => {
  const xff = { 'x-forwarded-for': '9.9.9.9, 10.0.0.1' }
  const trusting = (await get(`${open}/ip`, xff)).json()
  // The app's sidecar appends its own peer (the gateway) after the gateway's entries.
  assert.equal(trusting.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1, 127.0.0.1')
  const zero = (await get(`${strict}/ip`, xff)).json()
  assert.equal(zero.headers['x-forwarded-for'], '127.0.0.1, 127.0.0.1')
})
