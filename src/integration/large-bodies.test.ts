// 100 MB request and response bodies streamed gateway → relay sidecar → relay app → relay sidecar →
// sink sidecar → sink app, everything in this process, without memory growing by more than a few
// MB: bodies are generated and consumed as streams; every 100 ms during the transfer a full GC runs
// and the live memory (arrayBuffers, RSS) is compared with a baseline taken after a warm-up, so
// garbage not yet collected does not count but anything a proxy holds on to does. A slow reader:
// while the client reads nothing, back-pressure stops the sink app from writing (what it got ahead
// sits in socket buffers of the kernel, not in the proxies) and memory stays flat.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { freePort } from '../supervisor/free-port.js'
import { TestMesh } from './harness/mesh.js'
import { sleep } from './harness/http.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const MB = 1024 * 1024
const BIG = 100 * MB
const CHUNK = Buffer.alloc(64 * 1024, 'x')
// What the proxies hold (array buffers after a full GC) must stay far below a body: 0.1–0.2 MB is
// measured. RSS also counts what the allocator keeps after freeing (0 to 34 MB in runs of this file
// alone), so its bound is looser, yet below one body: a body held whole anywhere still fails both.
const GROWTH_LIMIT = 16 * MB
const RSS_GROWTH_LIMIT = 64 * MB

const mesh = new TestMesh()
let gwPort = 0
const servers: Server[] = []
/** Bytes the sink app has written of its current download (back-pressure shows here). */
let sinkWritten = 0

/** `size` bytes as a stream of 64 KB chunks, made on demand. */
function bodyStream(size: number): Readable {
  let left = size
  return new Readable({
    read() {
      if (left <= 0) { this.push(null); return }
      const n = Math.min(left, CHUNK.length)
      left -= n
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))
    },
  })
}

/** The sink app: POST counts the body and answers its size; GET /download/N streams N bytes, honouring back-pressure. */
function sinkApp(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  if (req.method === 'GET' && req.url?.startsWith('/download/')) {
    const size = Number(req.url.slice('/download/'.length))
    sinkWritten = 0
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
    const src = bodyStream(size)
    src.on('data', (c: Buffer) => { sinkWritten += c.length })
    src.pipe(res)
    return
  }
  let bytes = 0
  req.on('data', (c: Buffer) => { bytes += c.length })
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ bytes })) })
}

/** The relay app: forwards each request to the sink through its own sidecar, piping both bodies. */
function relayApp(upstreamPort: () => number) {
  return (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const up = request({ host: '127.0.0.1', port: upstreamPort(), method: req.method, path: req.url, headers: { ...req.headers, host: 'sink' } }, upRes => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      upRes.pipe(res)
    })
    up.on('error', () => res.destroy())
    res.on('close', () => { if (!res.writableFinished) up.destroy() })
    req.pipe(up)
  }
}

async function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<number> {
  const s = createServer(handler)
  servers.push(s)
  await new Promise<void>(r => s.listen(0, '127.0.0.1', () => r()))
  return (s.address() as AddressInfo).port
}

before(async () => {
  gwPort = await freePort()
  await mesh.start()
  await mesh.apply(`
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: relay }
spec: { port: 80, selector: { app: relay } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: sink }
spec: { port: 80, selector: { app: sink } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: relay, labels: { app: relay } }
spec: { command: [x], upstreams: [{ service: sink }] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: sink, labels: { app: sink } }
spec: { command: [x] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: relay }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: relay, port: 80 }] }]
`)
  let relaySidecarOutbound = 0
  const relayPort = await listen(relayApp(() => relaySidecarOutbound))
  const sinkPort = await listen(sinkApp)
  const relay = await mesh.sidecar('relay', 0, relayPort)
  await mesh.sidecar('sink', 0, sinkPort)
  await mesh.gateway('edge')
  await mesh.settled()
  relaySidecarOutbound = relay.outboundPort('default/sink')
})

after(async () => {
  await mesh.stop()
  for (const s of servers) { s.close(); s.closeAllConnections() }
})

interface Memory { rss: number; arrayBuffers: number }
const memory = (): Memory => { const m = process.memoryUsage(); return { rss: m.rss, arrayBuffers: m.arrayBuffers } }

/** Live memory (after a full GC) every 100 ms while `work` runs: the peak growth over the baseline. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; arrayBuffers: number }> {
  gc(); gc()
  const base = memory()
  let peak = base
  const timer = setInterval(() => {
    gc(); gc()        // the second GC waits for the first one's (concurrent) sweep of array buffers
    const m = memory()
    peak = { rss: Math.max(peak.rss, m.rss), arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers) }
  }, 100)
  try {
    const result = await work()
    return { result, rss: peak.rss - base.rss, arrayBuffers: peak.arrayBuffers - base.arrayBuffers }
  } finally { clearInterval(timer) }
}

function upload(size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gwPort, method: 'POST', path: '/upload', agent: false, timeout: 30_000,
      headers: { host: 'edge.example.com', 'content-type': 'application/octet-stream', 'content-length': size } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', c => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('timeout', () => req.destroy(new Error('upload timed out')))
    req.on('error', reject)
    bodyStream(size).pipe(req)
  })
}

/** GETs `size` bytes, counting them; `onResponse` may pause the response (slow reader). */
function download(size: number, onResponse: (res: IncomingMessage) => Promise<void> = async () => {}): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gwPort, path: `/download/${size}`, agent: false, timeout: 30_000, headers: { host: 'edge.example.com' } }, res => {
      let bytes = 0
      res.on('data', (c: Buffer) => { bytes += c.length })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
      res.on('error', reject)
      onResponse(res).catch(reject)
    })
    req.on('timeout', () => req.destroy(new Error('download timed out')))
    req.on('error', reject)
    req.end()
  })
}

const mb = (n: number) => `${(n / MB).toFixed(1)} MB`

test('warm-up: 8 MB each way', async () => {
  assert.equal(JSON.parse((await upload(8 * MB)).body).bytes, 8 * MB)
  assert.equal((await download(8 * MB)).bytes, 8 * MB)
})

test('a 100 MB request body streams through gateway → sidecar → sidecar → app with bounded memory', async () => {
  const { result, rss, arrayBuffers } = await peakGrowth(() => upload(BIG))
  assert.equal(result.status, 200)
  assert.equal(JSON.parse(result.body).bytes, BIG)
  assert.ok(arrayBuffers < GROWTH_LIMIT, `arrayBuffers grew by ${mb(arrayBuffers)}`)
  assert.ok(rss < RSS_GROWTH_LIMIT, `rss grew by ${mb(rss)}`)
})

test('a 100 MB response body streams back through the same path with bounded memory', async () => {
  const { result, rss, arrayBuffers } = await peakGrowth(() => download(BIG))
  assert.equal(result.status, 200)
  assert.equal(result.bytes, BIG)
  assert.ok(arrayBuffers < GROWTH_LIMIT, `arrayBuffers grew by ${mb(arrayBuffers)}`)
  assert.ok(rss < RSS_GROWTH_LIMIT, `rss grew by ${mb(rss)}`)
})

test('a slow reader: back-pressure holds the app back while the client reads nothing; memory stays bounded', async () => {
  gc(); gc()
  const base = memory()
  let paused: Memory = base
  let first = 0, later = 0
  const result = await download(BIG, async res => {
    res.pause()
    await sleep(1500)
    first = sinkWritten
    await sleep(500)
    later = sinkWritten
    gc(); gc()
    paused = memory()
    res.resume()
  })
  assert.equal(result.bytes, BIG)
  assert.equal(later, first, 'the app stopped writing while the client read nothing')
  // What the app got ahead sits in the kernel's socket buffers of the six connections, not in the proxies.
  assert.ok(later < BIG, `the app wrote everything (${mb(later)}) to a client that read nothing`)
  const grew = paused.arrayBuffers - base.arrayBuffers
  assert.ok(grew < 8 * MB, `with ${mb(later)} written and nothing read, arrayBuffers grew by ${mb(grew)}`)
  assert.ok(paused.rss - base.rss < RSS_GROWTH_LIMIT, `rss grew by ${mb(paused.rss - base.rss)}`)
})
