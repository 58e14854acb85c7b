// HTTP/1.1 ↔ HTTP/2 translation through the mesh, both ways: an HTTP/1.1 client reaches an h2c-only
// app of an `http2` Service, and an HTTP/2 client reaches an HTTP/1.1 app — bodies, headers and
// statuses intact.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createH2Server, connect, type Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { docs, service, workload } from './harness/fixtures.js'
import { get } from './harness/http.js'

const mesh = new TestMesh()
let h2app: Http2Server
let h2url = '', h1port = 0

before(async () => {
  await mesh.start()
  await mesh.apply(docs(service('modern', { spec: 'protocol: http2' }), service('classic'), workload('modern'), workload('classic'),
    workload('client', { upstreams: ['modern', 'classic'] })))
  const client = await mesh.replica('client', 0)
  // An app that only speaks h2c (prior knowledge): an HTTP/1.1 request would fail here.
  h2app = createH2Server((req, res) => {
    let size = 0
    req.on('data', (c: Buffer) => { size += c.length })
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-app': 'h2' })
      res.end(JSON.stringify({ version: req.httpVersion, method: req.method, path: req.url, bodyBytes: size, host: req.headers[':authority'] }))
    })
  })
  await new Promise<void>(r => h2app.listen(0, '127.0.0.1', () => r()))
  await mesh.sidecar('modern', 0, (h2app.address() as AddressInfo).port)
  await mesh.replica('classic', 0)
  await mesh.settled()
  h2url = `http://127.0.0.1:${client.sidecar.outboundPort('default/modern')}`
  h1port = client.sidecar.outboundPort('default/classic')
})
after(async () => { h2app.close(); await mesh.stop() })

test('an HTTP/1.1 client reaches an h2c-only app (http2 Service)', async () => {
  const body = 'b'.repeat(200_000)
  const r = await get(`${h2url}/items?q=1`, { host: 'modern', 'content-type': 'text/plain' }, 'POST', body)
  assert.equal(r.status, 201)
  assert.equal(r.headers['x-app'], 'h2')
  const seen = r.json()
  assert.equal(seen.version, '2.0')
  assert.equal(seen.path, '/items?q=1')
  assert.equal(seen.bodyBytes, body.length)
  assert.equal(seen.host, 'modern')
})

test('an HTTP/2 client reaches an HTTP/1.1 app', async () => {
  const session = connect(`http://127.0.0.1:${h1port}`)
  try {
    const { status, json } = await new Promise<{ status: number; json: { url: string; bodyBytes: number; headers: Record<string, string> } }>((resolve, reject) => {
      const s = session.request({ ':method': 'POST', ':path': '/from-h2', ':authority': 'classic', 'x-test': 'yes' })
      let status = 0, data = ''
      s.on('response', h => { status = Number(h[':status']) })
      s.setEncoding('utf8')
      s.on('data', d => { data += d })
      s.on('end', () => resolve({ status, json: JSON.parse(data) }))
      s.on('error', reject)
      s.end('x'.repeat(50_000))
    })
    assert.equal(status, 200)
    assert.equal(json.url, '/from-h2')
    assert.equal(json.bodyBytes, 50_000)
    assert.equal(json.headers['x-test'], 'yes')
    assert.equal(json.headers.host, 'classic')
    assert.equal(Object.keys(json.headers).some(h => h.startsWith(':')), false, 'no pseudo-headers on HTTP/1.1')
  } finally { session.close() }
})
