// x-trellis-reason marks the answers the mesh makes itself. An app that sets it on its own answer
// (here a 503 `unavailable`, which callers would retry as "the app never saw it") loses it where
// its answer enters the mesh: at its sidecar's inbound side (HTTP/1.1 and h2c apps), and at a
// caller of a static endpoint outside the mesh. The mesh's own 503 still carries it.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, createServer as createH2Server, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { freePort } from '../supervisor/free-port.js'
import { docs, gateway, httpRoute, service, workload } from './harness/fixtures.js'
import { get } from './harness/http.js'
import { TestMesh } from './harness/mesh.js'

const mesh = new TestMesh()
let h1app: Server, h2app: Http2Server
let hits = 0
let gwBase = ''
const via = new Map<string, string>()

/** Every request: 503 with the mesh's reason header, as if the mesh had made it. */
function lie(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  hits++
  req.resume()
  req.on('end', () => {
    res.writeHead(503, { 'content-type': 'text/plain', 'x-trellis-reason': 'unavailable', 'x-app': 'liar' })
    res.end('the app says no\n')
  })
}

const listen = async (s: Server | Http2Server): Promise<number> => {
  await new Promise<void>(r => s.listen(0, '127.0.0.1', () => r()))
  return (s.address() as AddressInfo).port
}

before(async () => {
  h1app = createServer(lie)
  h2app = createH2Server(lie)
  const h1port = await listen(h1app), h2port = await listen(h2app)
  const gwPort = await freePort()
  await mesh.start()
  await mesh.apply(docs(
    service('liar'), service('liar-h2', { spec: 'protocol: http2' }), service('gone'),
    `apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: outside }\nspec: { port: 80, endpoints: [{ address: "127.0.0.1:${h1port}" }] }\n`,
    workload('liar'), workload('liar-h2'), workload('gone'),
    workload('client', { upstreams: ['liar', 'liar-h2', 'gone', 'outside'] }),
    gateway('edge', gwPort),
    httpRoute('to-outside', ['edge'], 'outside').replace('rules: [{', 'rules: [{ matches: [{ path: { type: PathPrefix, value: /outside } }], '),
    httpRoute('to-liar', ['edge'], 'liar'),
  ))
  const client = await mesh.replica('client', 0)
  // Two instances each, so a retry would have somewhere to go (and be counted by the app).
  for (const r of [0, 1]) { await mesh.sidecar('liar', r, h1port); await mesh.sidecar('liar-h2', r, h2port) }
  await mesh.replica('gone', 0)
  await mesh.gateway('edge')
  await mesh.settled()
  for (const s of ['liar', 'liar-h2', 'gone', 'outside']) via.set(s, `http://127.0.0.1:${client.sidecar.outboundPort(`default/${s}`)}`)
  gwBase = `http://127.0.0.1:${gwPort}`
})
after(async () => {
  await mesh.stop()
  h1app.close(); h1app.closeAllConnections()
  h2app.close()
})

const cases: { name: string; url: () => string }[] = [
  { name: 'a sidecar to an HTTP/1.1 app through its sidecar', url: () => `${via.get('liar')}/x` },
  { name: 'a sidecar to an h2c app (http2 Service) through its sidecar', url: () => `${via.get('liar-h2')}/x` },
  { name: 'a sidecar to a static endpoint outside the mesh', url: () => `${via.get('outside')}/x` },
  { name: 'a Gateway to an app through its sidecar', url: () => `${gwBase}/x` },
  { name: 'a Gateway to a static endpoint outside the mesh', url: () => `${gwBase}/outside/x` },
]

for (const c of cases) {
  for (const method of ['POST', 'GET']) {
    test(`${c.name}: the app's 503 with x-trellis-reason reaches the caller once (${method}), without that header`, async () => {
      const before = hits
      const r = await get(c.url(), { host: 'liar' }, method, method === 'POST' ? 'order=1' : undefined)
      assert.equal(r.status, 503)
      assert.equal(r.body, 'the app says no\n')
      assert.equal(r.headers['x-app'], 'liar')
      assert.equal(r.headers['x-trellis-reason'], undefined)
      assert.equal(hits - before, 1, 'the app answered, so its answer is not retried')
    })
  }
}

test('an HTTP/2 client of a sidecar gets the app\'s answer without x-trellis-reason too', async () => {
  const before = hits
  const session = connect(via.get('outside')!)
  try {
    const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      const s = session.request({ ':method': 'POST', ':path': '/x' })
      s.on('response', h => { s.resume(); s.on('end', () => resolve(h)) })
      s.on('error', reject)
      s.end('order=1')
    })
    assert.equal(headers[':status'], 503)
    assert.equal(headers['x-app'], 'liar')
    assert.equal(headers['x-trellis-reason'], undefined)
    assert.equal(hits - before, 1)
  } finally { session.close() }
})

test('the mesh\'s own 503 still carries x-trellis-reason: an app that is gone', async () => {
  await mesh.backends.find(b => b.name === 'gone-0')!.close()
  const r = await get(`${via.get('gone')}/x`, {}, 'POST', 'order=1')
  assert.equal(r.status, 503)
  assert.equal(r.headers['x-trellis-reason'], 'unavailable')
})
