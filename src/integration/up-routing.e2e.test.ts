// examples/routing runs as its README documents it, through `trellis up`: matches, filters,
// redirects, mirror, weights, a missing backend, timeouts, HTTPS with h2, GRPCRoute, TCPRoute,
// TLSRoute passthrough and a mesh route at a caller's local listener.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect as connectH2 } from 'node:http2'
import { connect as connectTcp } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { get } from './harness/http.js'
import { REPO, UpProcess } from './harness/up-process.js'

const dir = join(REPO, 'examples/routing')
const state = mkdtempSync(join(tmpdir(), 'trellis-routing-'))
let up: UpProcess
const GW = 'http://127.0.0.1:8100'

before(async () => {
  up = new UpProcess(dir, ['-f', '.', '--state', state])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(state, { recursive: true, force: true }) })

const who = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
  const r = await get(`${GW}${path}`, headers, method)
  assert.equal(r.status, 200, `${method} ${path}: ${r.body}`)
  return r.json() as { workload: string; path: string; host: string; headers: Record<string, string>; requests?: number }
}

test('matches: Exact, PathPrefix by segment, method, RegularExpression, headers (OR of matches), query', async () => {
  assert.equal((await who('/exact')).workload, 'web-v1')
  assert.equal((await get(`${GW}/exact/`)).status, 404)
  assert.equal((await who('/prefix/a')).workload, 'web-v2')
  assert.equal((await who('/prefix/a', {}, 'DELETE')).workload, 'api')
  assert.equal((await get(`${GW}/prefixes`)).status, 404)
  assert.equal((await who('/items/42')).workload, 'api')
  assert.equal((await get(`${GW}/items/abc`)).status, 404)
  assert.equal((await who('/headers', { 'x-version': 'v2' })).workload, 'web-v2')
  assert.equal((await who('/headers', { 'x-user': 'beta-ann' })).workload, 'web-v2')
  assert.equal((await who('/headers')).workload, 'web-v1')
  assert.equal((await who('/query?version=2')).workload, 'web-v2')
  assert.equal((await who('/query?version=1')).workload, 'web-v1')
})

test('filters: URLRewrite path and hostname, header modifiers', async () => {
  assert.equal((await who('/rewrite-full/a/b?x=1')).path, '/replaced?x=1')
  assert.equal((await who('/rewrite-prefix/orders/7')).path, '/v2/orders/7')
  assert.equal((await who('/strip')).path, '/')
  assert.equal((await who('/strip/x/y')).path, '/x/y')
  assert.equal((await who('/rewrite-host/a')).host, 'internal.routing.test')
  const r = await get(`${GW}/modify`, { 'x-debug': '1', 'x-tags': 'a' })
  assert.deepEqual(r.json().headers, { 'x-tags': 'a,routed', 'x-env': 'demo' })
  assert.equal(r.headers['x-served-by'], 'trellis')
  assert.equal(r.headers['x-app'], undefined)
})

test('redirects: 301 to /new; every field with 308; scheme alone drops the port', async () => {
  const old = await get(`${GW}/old?a=1`)
  assert.equal(old.status, 301)
  assert.equal(old.headers.location, 'http://127.0.0.1:8100/new?a=1')
  const docs = await get(`${GW}/docs/intro`)
  assert.equal(docs.status, 308)
  assert.equal(docs.headers.location, 'https://secure.routing.test:8101/documentation/intro')
  const login = await get(`${GW}/login`)
  assert.equal(login.status, 302)
  assert.equal(login.headers.location, 'https://127.0.0.1/login')
})

test('mirror: the shadow gets a copy of each request', async () => {
  const before = (await who('/shadow')).requests ?? 0
  assert.equal((await who('/mirror', {}, 'POST')).workload, 'web-v1')
  assert.equal((await who('/mirror')).workload, 'web-v1')
  // Each poll is itself a request to the shadow: after n polls it has served before + 2 copies + n.
  let after = 0, polls = 0
  while (polls < 40) {
    after = (await who('/shadow')).requests ?? 0
    polls++
    if (after >= before + 2 + polls) break
    await new Promise(r => setTimeout(r, 50))
  }
  assert.equal(after, before + 2 + polls, 'two mirrored copies, plus the direct requests that asked')
})

test('weights 3:1:0, a missing backend gets 500 for its half, backendRef filters', async () => {
  const counts: Record<string, number> = {}
  for (let i = 0; i < 8; i++) { const w = (await who('/weights')).workload; counts[w] = (counts[w] ?? 0) + 1 }
  assert.deepEqual(counts, { 'web-v1': 6, 'web-v2': 2 })
  let noBackend = 0
  for (let i = 0; i < 8; i++) { const r = await get(`${GW}/missing`); if (r.status === 500 && r.headers['x-trellis-reason'] === 'no_backend') noBackend++ }
  assert.equal(noBackend, 4)
  for (let i = 0; i < 2; i++) {
    const r = await get(`${GW}/per-backend`)
    if (r.json().workload === 'web-v1') assert.equal(r.json().headers['x-picked'], 'v1')
    else assert.equal(r.headers['x-picked'], 'v2')
  }
})

test('timeouts: request and backendRequest → 504 timeout; a patient rule waits', async () => {
  for (const path of ['/slow/request', '/slow/backend']) {
    const r = await get(`${GW}${path}`)
    assert.equal(r.status, 504, path)
    assert.equal(r.headers['x-trellis-reason'], 'timeout')
  }
  assert.equal((await who('/slow/ok')).workload, 'slow')
})

test('HTTPS with the example certificate, over h2', async () => {
  const session = connectH2('https://127.0.0.1:8101', { ca: readFileSync(join(dir, 'certs/gateway.pem')), servername: 'secure.routing.test' })
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const s = session.request({ ':path': '/hello', ':authority': 'secure.routing.test:8101' })
      let data = ''
      s.setEncoding('utf8')
      s.on('data', c => { data += c })
      s.on('end', () => resolve(data))
      s.on('error', reject)
      s.end()
    })
    assert.equal(session.alpnProtocol, 'h2')
    assert.equal(JSON.parse(body).workload, 'web-v2')
  } finally { session.close() }
})

test('GRPCRoute: by method, by header; an unknown method gets UNIMPLEMENTED', async () => {
  const session = connectH2('http://127.0.0.1:8100')
  const call = (method: string, headers: Record<string, string> = {}) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': `/demo.Greeter/${method}`, ':authority': 'grpc.routing.test', 'content-type': 'application/grpc', te: 'trailers', ...headers })
    let got: Record<string, unknown> = {}
    s.on('response', h => { got = { ...h } })
    s.on('trailers', t => { got = { ...got, ...t } })
    s.on('end', () => resolve(got))
    s.on('error', reject)
    s.resume()
    s.end(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]))
  })
  try {
    const hello = await call('SayHello')
    assert.equal(hello['x-handled-by'], 'greeter-v1 demo.Greeter/SayHello')
    assert.equal(hello['grpc-status'], '0')
    assert.equal((await call('SayBye'))['x-handled-by'], 'greeter-v2 demo.Greeter/SayBye')
    assert.equal((await call('Anything', { 'x-canary': '1' }))['x-handled-by'], 'greeter-v2 demo.Greeter/Anything')
    assert.equal((await call('Anything'))['grpc-status'], '12')
  } finally { session.close() }
})

test('TCPRoute echo and TLSRoute passthrough by SNI', async () => {
  const line = await new Promise<string>((resolve, reject) => {
    const s = connectTcp(8102, '127.0.0.1', () => s.write('hello\n'))
    let data = ''
    s.setEncoding('utf8')
    s.on('data', d => { data += d; if (data.includes('\n')) { s.destroy(); resolve(data.trim()) } })
    s.on('error', reject)
    setTimeout(() => { s.destroy(); reject(new Error('no tcp echo')) }, 5000)
  })
  assert.match(line, /^tcp-echo: hello$/)
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connectTls({ port: 8103, host: '127.0.0.1', servername: 'passthrough.routing.test', ca: readFileSync(join(dir, 'certs/passthrough.pem')) },
      () => s.write('GET / HTTP/1.1\r\nhost: passthrough.routing.test\r\n\r\n'))
    let data = ''
    s.setEncoding('utf8')
    s.on('data', d => { data += d })
    s.on('end', () => resolve(data))
    s.on('error', reject)
    setTimeout(() => { s.destroy(); reject(new Error('no tls reply')) }, 5000)
  })
  assert.match(reply, /secure-backend terminated TLS for passthrough\.routing\.test/)
})

test('a mesh route at the client Workload\'s local listener for api', async () => {
  const base = 'http://127.0.0.1:8110'
  assert.equal((await get(`${base}/orders`)).json().workload, 'api')
  assert.equal((await get(`${base}/orders`, { 'x-canary': '1' })).json().workload, 'web-v2')
  const r = await get(`${base}/old-api/v1`, { host: 'api' })
  assert.equal(r.status, 302)
  assert.equal(r.headers.location, 'http://api/api/v1')
})
