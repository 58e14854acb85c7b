// The standalone proxy (`trellis proxy --listen … --upstream …`) over real sockets on 127.0.0.1:
// bodies pass through both ways, hop-by-hop headers are dropped, forwarding headers are added,
// and the admin port's /metrics counts what went through.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StaticProxy, parseListen, parseUpstream } from '../dataplane/static-proxy.js'

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; bodySha: string; bodyBytes: number }
interface Reply { status: number; headers: IncomingHttpHeaders; body: Buffer }

const BIG = Buffer.alloc(256 * 1024)
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31 + 7) & 0xff
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
/** 4 MB whose bytes depend on `seed`: two of them differ everywhere. */
function patterned(seed: number): Buffer {
  const b = Buffer.alloc(4 * 1024 * 1024)
  for (let i = 0; i < b.length; i++) b[i] = (i * (2 * seed + 1) + seed * 101 + (i >> 12)) & 0xff
  return b
}

let backend: Server
let backendPort = 0
let proxy: StaticProxy
const seen: Seen[] = []

before(async () => {
  backend = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodySha: sha(body), bodyBytes: body.length })
      const pattern = /^\/pattern\/(\d+)$/.exec(req.url ?? '')
      if (pattern) {
        const body = patterned(Number(pattern[1]))
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
        return void res.end(body)
      }
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length })
        return void res.end(BIG)
      }
      // Hop-by-hop response headers, one of them named by Connection: none may reach the client.
      res.writeHead(201, {
        'content-type': 'text/plain', 'x-backend': 'b1', 'keep-alive': 'timeout=5', 'connection': 'keep-alive, x-hop-secret',
        'x-hop-secret': 'dropme', 'proxy-authenticate': 'Basic',
      })
      res.end(`echo ${req.method} ${req.url} ${body.length}`)
    })
  })
  await new Promise<void>(resolve => backend.listen(0, '127.0.0.1', resolve))
  backendPort = (backend.address() as AddressInfo).port
  proxy = new StaticProxy({ listenHost: '127.0.0.1', listenPort: 0, upstream: `http://127.0.0.1:${backendPort}`, adminPort: 0 })
  await proxy.start()
})

after(async () => {
  await proxy.stop(0)
  backend.closeAllConnections()
  await new Promise<void>(resolve => backend.close(() => resolve()))
})

function send(port: number, path: string, opts: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: 10_000 }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${path}`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}

test('a GET passes through with its query; hop-by-hop headers are stripped both ways', async () => {
  seen.length = 0
  const r = await send(proxy.port, '/a/b?x=1&y=2', {
    headers: {
      connection: 'keep-alive, x-client-secret', 'x-client-secret': 's3cret', 'keep-alive': 'timeout=9',
      'proxy-authorization': 'Basic Zm9vOmJhcg==', te: 'gzip', 'x-app': 'kept',
    },
  })
  assert.equal(r.status, 201)
  assert.equal(r.body.toString(), 'echo GET /a/b?x=1&y=2 0')
  assert.equal(r.headers['x-backend'], 'b1')
  assert.equal(r.headers['x-hop-secret'], undefined)
  assert.equal(r.headers['proxy-authenticate'], undefined)
  assert.equal(r.headers['keep-alive'] === 'timeout=5', false, 'the backend keep-alive header must not be relayed')

  assert.equal(seen.length, 1)
  const h = seen[0].headers
  assert.equal(seen[0].url, '/a/b?x=1&y=2')
  assert.equal(h['x-app'], 'kept')
  assert.equal(h['x-client-secret'], undefined)
  assert.equal(h['keep-alive'], undefined)
  assert.equal(h['proxy-authorization'], undefined)
  assert.equal(h.te, undefined)
  assert.equal(h['x-forwarded-for'], '127.0.0.1')
  assert.equal(h['x-forwarded-proto'], 'http')
  assert.match(String(h['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
})

test('forwarding headers from a mesh hop are extended, not replaced', async () => {
  seen.length = 0
  await send(proxy.port, '/', { headers: { 'x-forwarded-for': '10.0.0.9', 'x-request-id': 'req-123' } })
  assert.equal(seen[0].headers['x-forwarded-for'], '10.0.0.9, 127.0.0.1')
  assert.equal(seen[0].headers['x-request-id'], 'req-123')
})

test('request and response bodies stream through intact', async () => {
  seen.length = 0
  const up = await send(proxy.port, '/upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: BIG })
  assert.equal(up.status, 201)
  assert.equal(up.body.toString(), `echo POST /upload ${BIG.length}`)
  assert.equal(seen[0].bodyBytes, BIG.length)
  assert.equal(seen[0].bodySha, sha(BIG))

  const down = await send(proxy.port, '/big')
  assert.equal(down.status, 200)
  assert.equal(down.body.length, BIG.length)
  assert.equal(sha(down.body), sha(BIG))
})

test('two slow clients downloading different bodies at once each get every byte as sent', async () => {
  // The proxy reads plain upstream sockets into one buffer that every read reuses, while writes to
  // slow clients wait in their sockets' queues: what waits must be copies, or the other download's
  // bytes would show up in it.
  const slowGet = (path: string) => new Promise<Buffer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path, agent: false, timeout: 20_000 }, res => {
      const chunks: Buffer[] = []
      let n = 0
      res.on('data', (c: Buffer) => {
        chunks.push(c)
        if (++n % 8 === 0) { res.pause(); setTimeout(() => res.resume(), 5) }   // a slow reader: the proxy's writes queue
      })
      res.on('end', () => resolve(Buffer.concat(chunks)))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${path}`)))
    req.on('error', reject)
    req.end()
  })
  const [a, b] = await Promise.all([slowGet('/pattern/1'), slowGet('/pattern/2')])
  assert.equal(a.length, 4 * 1024 * 1024)
  assert.equal(sha(a), sha(patterned(1)))
  assert.equal(sha(b), sha(patterned(2)))
})

test('/metrics on the admin port counts the requests', async () => {
  const series = 'listener="outbound|static/upstream",route="static",backend="static/upstream"'
  const count = async (cls: string): Promise<number> => {
    const m = await send(proxy.adminPort, '/metrics')
    assert.equal(m.status, 200)
    const line = m.body.toString().split('\n').find(l => l.startsWith(`trellis_requests_total{${series},status_class="${cls}"}`))
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
  }
  const before201 = await count('2xx')
  const n = 25
  for (let i = 0; i < n; i++) assert.equal((await send(proxy.port, `/m/${i}`)).status, 201)
  assert.equal(await count('2xx'), before201 + n)
  const m = (await send(proxy.adminPort, '/metrics')).body.toString()
  assert.match(m, new RegExp(`trellis_request_duration_seconds_count\\{${series.replace(/[|/]/g, '\\$&')}\\} \\d+`))
  assert.equal((await send(proxy.adminPort, '/ready')).status, 200)
})

test('an unreachable upstream answers 503 with a reason, and is counted', async () => {
  const dead = createServer()
  await new Promise<void>(resolve => dead.listen(0, '127.0.0.1', resolve))
  const port = (dead.address() as AddressInfo).port
  await new Promise<void>(resolve => dead.close(() => resolve()))
  const p = new StaticProxy({ listenHost: '127.0.0.1', listenPort: 0, upstream: `http://127.0.0.1:${port}`, adminPort: null })
  await p.start()
  try {
    const r = await send(p.port, '/')
    assert.equal(r.status, 503)
    assert.equal(r.headers['x-trellis-reason'], 'unavailable')
    assert.match(p.metrics.render(), /status_class="5xx"\} 1\n/)
  } finally { await p.stop(0) }
})

test('--listen and --upstream are parsed strictly', () => {
  assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 })
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 })
  assert.deepEqual(parseListen('9000'), { host: '127.0.0.1', port: 9000 })
  assert.throws(() => parseListen('127.0.0.1'), /--listen expects HOST:PORT/)
  assert.throws(() => parseListen('127.0.0.1:70000'), /--listen expects HOST:PORT/)
  assert.deepEqual(parseUpstream('http://127.0.0.1:18080'), { host: '127.0.0.1', port: 18080, address: '127.0.0.1:18080' })
  assert.deepEqual(parseUpstream('http://[::1]:81/'), { host: '::1', port: 81, address: '[::1]:81' })
  assert.equal(parseUpstream('http://localhost').port, 80)
  assert.throws(() => parseUpstream('https://127.0.0.1:1'), /only http/)
  assert.throws(() => parseUpstream('http://127.0.0.1:1/base'), /without path/)
  assert.throws(() => parseUpstream('127.0.0.1:1'), /http:\/\/HOST:PORT|only http/)
})

const BIN = fileURLToPath(new URL('../../bin/trellis.js', import.meta.url))

function runCli(args: string[], until: RegExp | null, timeoutMs = 15_000): Promise<{ code: number | null; stderr: string; pid: number; kill: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRELLIS_TOKEN: '' } })
    let stderr = ''
    let settled = false
    const exited = new Promise<number | null>(r => child.once('exit', code => r(code)))
    const kill = async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); await exited }
    const timer = setTimeout(() => { void kill(); if (!settled) { settled = true; reject(new Error(`trellis ${args.join(' ')} timed out: ${stderr}`)) } }, timeoutMs)
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (c: string) => {
      stderr += c
      if (until && !settled && until.test(stderr)) { settled = true; clearTimeout(timer); resolve({ code: null, stderr, pid: child.pid!, kill }) }
    })
    void exited.then(code => { clearTimeout(timer); if (!settled) { settled = true; resolve({ code, stderr, pid: child.pid!, kill }) } })
  })
}

test('the CLI runs a standalone proxy with --listen/--upstream and no control plane', async () => {
  const run = await runCli(['proxy', '--listen', '127.0.0.1:0', '--upstream', `http://127.0.0.1:${backendPort}`], /127\.0\.0\.1:(\d+) -> .*admin 127\.0\.0\.1:(\d+)/)
  try {
    const m = /127\.0\.0\.1:(\d+) -> .*admin 127\.0\.0\.1:(\d+)/.exec(run.stderr)!
    const r = await send(Number(m[1]), '/via-cli')
    assert.equal(r.status, 201)
    assert.equal(r.body.toString(), 'echo GET /via-cli 0')
    assert.match((await send(Number(m[2]), '/metrics')).body.toString(), /status_class="2xx"\} 1\n/)
  } finally { await run.kill() }
})

test('the CLI explains what a proxy needs when given neither mode', async () => {
  const none = await runCli(['proxy'], null)
  assert.equal(none.code, 1)
  assert.match(none.stderr, /--workload and --app-port \(or --listen and --upstream/)
  const half = await runCli(['proxy', '--listen', '127.0.0.1:0'], null)
  assert.equal(half.code, 1)
  assert.match(half.stderr, /needs both --listen HOST:PORT and --upstream/)
})
