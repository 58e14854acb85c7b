// A seeded fuzz test of the listener's HTTP/1.1 fast path against Node's own HTTP server, over real
// sockets: mutated request streams go to two `trellis proxy` processes, one with the fast path and
// one with TRELLIS_HTTP1_LISTENER=node, each in front of its own app that records what arrives.
// The fast path must never deliver a request Node's parser would not have delivered (smuggling),
// never answer 2xx where Node refused with 4xx, and neither process may crash.
//
// Deterministic: the same seed gives the same inputs, pieces and delays (FUZZ_SEED picks another
// seed to explore; failures print the input, so a case can be replayed by hand).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { freePort } from '../../../supervisor/free-port.js'

const SEED = Number(process.env.FUZZ_SEED ?? 0x7e11150)
const MUTATED_CASES = 360          // plus the unmutated corpus and the pinned reproducers: ≤ 400 in all
const WORKERS = 8                  // cases in flight at once (each on both proxies)
const QUIET_MS = 250               // no bytes either way for this long: the servers wait for more input
const CAP_MS = 2000                // a case's sockets are closed after this, whatever they wait for
const SETTLE_MS = 300              // for requests still on their way to the apps before records are read

// ---- a seeded PRNG (mulberry32): no Math.random, so every run sends the same bytes

class Rng {
  private a: number
  constructor(seed: number) { this.a = seed >>> 0 }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0
    let t = this.a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number { return Math.floor(this.next() * n) }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)] }
}

// ---- the corpus: valid request streams, as latin1 strings (one char per byte)

const CORPUS: readonly string[] = [
  'GET /f/get?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n',
  'POST /f/post HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
  'POST /f/chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nx-t: 1\r\n\r\n',
  'GET /f/one HTTP/1.1\r\nHost: a\r\n\r\nPOST /f/two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc',
  'GET /f/close HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  // The classic smuggling shapes: a body with another request behind it, whose boundary a mutation moves.
  'POST /f/cl HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /f/next HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /f/te HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /f/next HTTP/1.1\r\nHost: a\r\n\r\n',
]

// Minimal reproducers of what this test found (a tab after a Content-Length or `chunked`, chunk
// extensions Node refuses), fixed since and sent every run whatever the seed.
const PINNED: readonly string[] = [
  'POST /f/tab HTTP/1.1\r\nHost: a\r\nContent-Length: 1\t\r\n\r\nxGET /f/smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /f/tab HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n',
  'POST /f/ext HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a b\r\nx\r\n0\r\n\r\n',
]

// ---- mutations: each returns the new stream and what it did, or null where it does not apply

const METHOD_AT = /^(GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) /
const REQUEST_LINE = /(?:GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) [^\r\n]* HTTP\/1\.1\r\n/g
const FIELD_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r\n/

/** [start, end) of every CRLF-terminated line that looks like a header or trailer field. */
function fieldLines(s: string): [number, number][] {
  const out: [number, number][] = []
  for (let p = 0; p < s.length;) {
    const eol = s.indexOf('\r\n', p)
    if (eol < 0) break
    if (FIELD_LINE.test(s.slice(p, eol + 2))) out.push([p, eol + 2])
    p = eol + 2
  }
  return out
}

/** Just past each request line: where a header can be added. */
function afterRequestLines(s: string): number[] {
  return [...s.matchAll(REQUEST_LINE)].map(m => (m.index ?? 0) + m[0].length)
}

const SPECIAL = ['\r', '\n', '\x00', ' ', ':', '\t', '\r\n']
const TE_VALUES = ['chunked, identity', ' chunked', 'Chunked', 'xchunked', 'chunked', 'identity', 'chunked, chunked',
  'identity, chunked', '\tchunked', 'chunked ', 'CHUNKED', 'chunked;q=1', '']
const TE_NAMES = ['Transfer-Encoding', 'transfer-encoding', 'Transfer-Encoding ', 'Transfer_Encoding', ' Transfer-Encoding']

type Mutator = (s: string, r: Rng) => [string, string] | null

const MUTATORS: Record<string, Mutator> = {
  flip(s, r) {
    if (s.length === 0) return null
    const i = r.int(s.length)
    const c = String.fromCharCode(s.charCodeAt(i) ^ (1 << r.int(8)))
    return [s.slice(0, i) + c + s.slice(i + 1), `flip@${i}=${JSON.stringify(c)}`]
  },
  insert(s, r) {
    const i = r.int(s.length + 1)
    const c = r.pick(SPECIAL)
    return [s.slice(0, i) + c + s.slice(i), `insert@${i}=${JSON.stringify(c)}`]
  },
  duplicateLine(s, r) {
    const lines = fieldLines(s)
    if (lines.length === 0) return null
    const [a, b] = r.pick(lines)
    return [s.slice(0, b) + s.slice(a, b) + s.slice(b), `dup ${JSON.stringify(s.slice(a, b - 2))}`]
  },
  removeLine(s, r) {
    const lines = fieldLines(s)
    if (lines.length === 0) return null
    const [a, b] = r.pick(lines)
    return [s.slice(0, a) + s.slice(b), `remove ${JSON.stringify(s.slice(a, b - 2))}`]
  },
  contentLength(s, r) {
    const found = [...s.matchAll(/(content-length:[ \t]*)(\d+)/gi)]
    const n = found.length > 0 ? Number(r.pick(found)[2]) : r.int(8)
    const v = r.pick([String(n + 1), String(Math.max(0, n - 1)), '0', String(n + 1 + r.int(40)), `0${n}`, `${n}, ${n}`,
      `+${n}`, '-1', `0x${n}`, `${n} `, ` ${n}`, `${n}\t`, '99999999999999999999', '', `${n}${n}`])
    if (found.length > 0 && r.int(3) > 0) {
      const m = r.pick(found)
      const at = (m.index ?? 0) + m[1].length
      return [s.slice(0, at) + v + s.slice(at + m[2].length), `content-length ${JSON.stringify(v)}`]
    }
    const places = afterRequestLines(s)
    if (places.length === 0) return null
    const at = r.pick(places)
    return [s.slice(0, at) + `Content-Length: ${v}\r\n` + s.slice(at), `add content-length ${JSON.stringify(v)}`]
  },
  transferEncoding(s, r) {
    const v = r.pick(TE_VALUES)
    const found = [...s.matchAll(/(transfer-encoding:[ \t]*)(chunked)/gi)]
    if (found.length > 0 && r.int(3) > 0) {
      const m = r.pick(found)
      const at = (m.index ?? 0) + m[1].length
      return [s.slice(0, at) + v + s.slice(at + m[2].length), `transfer-encoding ${JSON.stringify(v)}`]
    }
    const places = afterRequestLines(s)
    if (places.length === 0) return null
    const at = r.pick(places)
    const name = r.int(3) === 0 ? r.pick(TE_NAMES) : 'Transfer-Encoding'
    return [s.slice(0, at) + `${name}: ${v}\r\n` + s.slice(at), `add ${JSON.stringify(`${name}: ${v}`)}`]
  },
  chunkSize(s, r) {
    const sizes = [...s.matchAll(/\r\n([0-9A-Fa-f]+)(;[^\r\n]*)?\r\n/g)]
    if (sizes.length === 0) return null
    const m = r.pick(sizes)
    const n = parseInt(m[1], 16)
    const v = r.pick([(n + 1).toString(16), Math.max(0, n - 1).toString(16), '0', ` ${m[1]}`, `${m[1]} `, `0x${m[1]}`,
      `-${m[1]}`, `000${m[1]}`, m[1].toUpperCase(), `${m[1]}\t;x`, `${m[1]};${'e'.repeat(r.int(3) * 600)}`])
    const at = (m.index ?? 0) + 2
    return [s.slice(0, at) + v + s.slice(at + m[1].length), `chunk size ${JSON.stringify(m[1])}→${JSON.stringify(v.slice(0, 20))}`]
  },
  truncate(s, r) {
    if (s.length < 2) return null
    const at = 1 + r.int(s.length - 1)
    return [s.slice(0, at), `truncate@${at}`]
  },
  appendRequest(s) {
    return [s + 'GET /f/extra HTTP/1.1\r\nHost: a\r\n\r\n', 'append GET']
  },
}
// Framing headers are where smuggling lives: their mutations are picked more often.
const WEIGHTS: Record<string, number> = { flip: 2, insert: 2, duplicateLine: 1, removeLine: 1, contentLength: 2, transferEncoding: 3, chunkSize: 1, truncate: 1, appendRequest: 1 }
const MUTATOR_NAMES = Object.keys(MUTATORS).flatMap(n => Array<string>(WEIGHTS[n] ?? 1).fill(n))

interface Case {
  id: number
  input: string
  ops: string[]
  pieces: Buffer[]      // the input as written, piece by piece
  delays: number[]      // ms after each piece
}

function makeCases(): Case[] {
  const r = new Rng(SEED)
  const cases: Case[] = [...CORPUS, ...PINNED].map((input, id) =>
    ({ id, input, ops: [id < CORPUS.length ? 'corpus' : 'pinned'], pieces: [Buffer.from(input, 'latin1')], delays: [0] }))
  const first = cases.length
  for (let id = first; id < first + MUTATED_CASES; id++) {
    let input = r.pick(CORPUS)
    const ops: string[] = []
    for (let k = 1 + r.int(3); k > 0; k--) {
      const out = MUTATORS[r.pick(MUTATOR_NAMES)](input, r)
      if (out === null) continue
      input = out[0]
      ops.push(out[1])
    }
    // Random pieces with small delays: the fast path parses across reads, and must not care where they fall.
    const bytes = Buffer.from(input, 'latin1')
    const cuts = new Set<number>()
    for (let k = r.int(4); k > 0; k--) if (bytes.length > 1) cuts.add(1 + r.int(bytes.length - 1))
    const bounds = [0, ...[...cuts].sort((x, y) => x - y), bytes.length]
    const pieces = bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end))
    cases.push({ id, input, ops, pieces, delays: pieces.map(() => r.int(4)) })
  }
  return cases
}

// ---- the apps: each records every complete request it receives, by the client's address

interface Rec { method: string; url: string; body: string }
const key = (x: Rec) => JSON.stringify([x.method, x.url, x.body])

interface App { server: Server; port: number; byClient: Map<string, Rec[]> }

async function startApp(): Promise<App> {
  const byClient = new Map<string, Rec[]>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      // Each case connects from its own loopback address, which the proxy appends to x-forwarded-for.
      const xff = String(req.headers['x-forwarded-for'] ?? '')
      const client = xff.slice(xff.lastIndexOf(',') + 1).trim()
      const list = byClient.get(client) ?? []
      list.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(parts).toString('latin1') })
      byClient.set(client, list)
      res.writeHead(200, { 'content-length': '0' })   // no body: a HEAD or not, the response parses alike
      res.end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, byClient }
}

// ---- the proxies, started as the parity test in fast-path.test.ts starts them

const BIN = fileURLToPath(new URL('../../../../bin/trellis.js', import.meta.url))

interface ProxyProcess {
  name: string
  port: number
  child: ChildProcess
  stderr: () => string
  exit: string | null
  exitMs: number              // when it exited (Date.now())
  stop: () => Promise<void>
}

async function startProxy(fastPath: boolean, upstreamPort: number): Promise<ProxyProcess> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { ...process.env, TRELLIS_TOKEN: '', TRELLIS_DRAIN_TIMEOUT_MS: '200' }
  if (fastPath) delete env.TRELLIS_HTTP1_LISTENER
  else env.TRELLIS_HTTP1_LISTENER = 'node'
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${upstreamPort}`,
    '--parent-pid', String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'], env })
  let stderr = ''
  let exit: string | null = null
  let exitMs = 0
  const exited = new Promise<void>(resolve => child.once('exit', (code, signal) => { exit = `code ${code} signal ${signal}`; exitMs = Date.now(); resolve() }))
  const p: ProxyProcess = {
    name: fastPath ? 'fast path' : 'TRELLIS_HTTP1_LISTENER=node', port, child, stderr: () => stderr.slice(-2000),
    get exit() { return exit },
    get exitMs() { return exitMs },
    stop: async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited } },
  }
  child.stderr?.setEncoding('utf8')
  const ready = await new Promise<boolean>(resolve => {
    const t = setTimeout(() => resolve(false), 15_000)
    child.stderr?.on('data', (d: string) => { stderr += d; if (stderr.includes(' -> ')) { clearTimeout(t); resolve(true) } })
    void exited.then(() => { clearTimeout(t); resolve(false) })
  })
  if (!ready) { await p.stop(); throw new Error(`trellis proxy did not start: ${stderr}`) }
  return p
}

// ---- sending a case: the same pieces, at the same moments, to every port given

/** A loopback source address of its own for every connection, so each app's records can be told
 *  apart by case even when cases run side by side or a request arrives late. */
let addresses = 0
function nextAddress(): string {
  const n = addresses++
  return `127.${1 + Math.floor(n / 62_500)}.${Math.floor(n / 250) % 250}.${1 + (n % 250)}`
}

interface Outcome { received: Buffer; closed: boolean; error: string | null }

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

async function send(ports: number[], from: string, pieces: Buffer[], delays: number[]): Promise<Outcome[]> {
  let last = Date.now()
  const outs: Outcome[] = ports.map(() => ({ received: Buffer.alloc(0), closed: false, error: null }))
  const sockets = await Promise.all(ports.map((port, i) => new Promise<Socket | null>(resolve => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(s))
    s.on('data', (d: Buffer) => { outs[i].received = Buffer.concat([outs[i].received, d]); last = Date.now() })
    s.on('close', () => { outs[i].closed = true; last = Date.now(); resolve(null) })
    s.on('error', (e: Error) => { outs[i].error ??= e.message })
  })))
  const start = Date.now()
  for (let k = 0; k < pieces.length; k++) {
    for (const s of sockets) if (s !== null && !s.destroyed && s.writable) s.write(pieces[k])
    last = Date.now()
    if (delays[k] > 0) await sleep(delays[k])
  }
  // Bounded: truncated input leaves a server waiting for more, so stop once nothing moves for a while.
  while (!outs.every(o => o.closed) && Date.now() - last < QUIET_MS && Date.now() - start < CAP_MS) await sleep(10)
  for (const s of sockets) s?.destroy()
  return outs
}

// ---- reading the answers: the status of every whole response, in order (1xx left out)

function statuses(b: Buffer): number[] {
  const out: number[] = []
  let p = 0
  while (p < b.length) {
    const headEnd = b.indexOf('\r\n\r\n', p)
    if (headEnd < 0) break
    const head = b.toString('latin1', p, headEnd)
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head)
    if (m === null) break
    const status = Number(m[1])
    p = headEnd + 4
    if (status < 200) continue
    if (status === 204 || status === 304) { out.push(status); continue }
    const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)
    if (/\r\ntransfer-encoding:[^\r\n]*chunked/i.test(head)) {
      const end = b.indexOf('\r\n0\r\n\r\n', p - 2)                 // the app never sends a body: good enough
      p = end < 0 ? b.length : end + 7
    } else if (cl !== null) p += Number(cl[1])
    else p = b.length                                                // delimited by the close
    out.push(status)
  }
  return out
}

const is2xx = (s: number) => s >= 200 && s < 300
const is4xx = (s: number) => s >= 400 && s < 500

// ---- where a request ends, read with simple framing rules

/** The end of each request in the stream (a Content-Length body, or a chunked one up to its last
 *  chunk and trailers); stops at the first one it cannot frame. */
function requestEnds(s: string): number[] {
  const ends: number[] = []
  for (let pos = 0; pos < s.length;) {
    const end = s.indexOf('\r\n\r\n', pos)
    if (end < 0) break
    const head = s.slice(pos, end + 2)
    let next = end + 4
    const cl = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(head)
    if (cl !== null) next += Number(cl[1])
    else if (/\r\ntransfer-encoding:[^\r\n]*chunked/i.test(head)) {
      const last = s.indexOf('\r\n0\r\n', end)
      const trailersEnd = last < 0 ? -1 : s.indexOf('\r\n\r\n', last + 3)
      if (trailersEnd < 0) break
      next = trailersEnd + 4
    }
    if (next > s.length) break
    ends.push(next)
    pos = next
  }
  return ends
}

// ---- differences this test finds that the fast path does not handle yet: each gets a todo test
// below, so the suite stays green while it is open. None is open now; both found so far are fixed.


const FOUND: { name: string; todo: string; matches: (input: string) => boolean }[] = []

/** The open finding a mismatching input falls under, or null. */
function foundBug(input: string): string | null {
  for (const f of FOUND) if (f.matches(input)) return f.name
  return null
}

// ---- the run

let apps: { fast: App; node: App }
let proxies: { fast: ProxyProcess; node: ProxyProcess }
let loopbackAliases = true

before(async () => {
  // Linux routes all of 127/8 to lo; elsewhere only 127.0.0.1 may be bound.
  loopbackAliases = await new Promise<boolean>(resolve => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const s = connect({ port: (srv.address() as AddressInfo).port, host: '127.0.0.1', localAddress: '127.1.0.1' })
      s.once('connect', () => { s.destroy(); srv.close(); resolve(true) })
      s.once('error', () => { srv.close(); resolve(false) })
    })
  })
  if (!loopbackAliases) return
  apps = { fast: await startApp(), node: await startApp() }
  const [fast, node] = await Promise.all([startProxy(true, apps.fast.port), startProxy(false, apps.node.port)])
  proxies = { fast, node }
})

after(async () => {
  if (!loopbackAliases) return
  await Promise.all([proxies?.fast.stop(), proxies?.node.stop()])
  for (const a of [apps?.fast, apps?.node]) {
    if (!a) continue
    a.server.closeAllConnections()
    await new Promise<void>(resolve => a.server.close(() => resolve()))
  }
})

interface Result { c: Case; from: string; fast: Outcome; node: Outcome; startMs: number; endMs: number }

/** The main test's mismatches under each open finding, for the todo tests; null until it has run. */
let openFindings: Map<string, string[]> | null = null

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: n }, async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]) } }))
  return out
}

/** Where a prefix of the input may end right after a whole request: every line start, every place
 *  a request line seems to start (after a Content-Length body, it need not follow a CRLF), and the
 *  end of each request as requestEnds() frames it; and the whole input in one write, as Node's
 *  server may see it all before it answers.
 *
 *  This is also how one known difference is left out: bytes after a request with `Connection:
 *  close` are ignored by the fast path (RFC 9112 §9.6) while Node's server answers them with 400
 *  at once, which can overtake, and abort, the requests before them. Cut right after that
 *  request, Node is judged on just the bytes the fast path reads. */
function cutPoints(s: string): number[] {
  const cuts = new Set<number>()
  for (let i = 1; i < s.length; i++) if ((s[i - 1] === '\n') || METHOD_AT.test(s.slice(i, i + 8))) cuts.add(i)
  return [...new Set([...[...cuts].slice(0, 40), ...requestEnds(s), s.length])]
}

const show = (r: Result, why: string, extra: string) =>
  `#${r.c.id} ${why}: ${JSON.stringify(r.c.input)} [${r.c.ops.join('; ')}] pieces ${r.c.pieces.map(p => p.length).join('+')}\n` +
  `    fast: ${JSON.stringify(statuses(r.fast.received))} node: ${JSON.stringify(statuses(r.node.received))} ${extra}`

test('fuzz: the fast path delivers nothing Node would not, never accepts what Node refuses, and does not crash', { timeout: 60_000 }, async t => {
  if (!loopbackAliases) { t.skip('needs all of 127.0.0.0/8 on the loopback interface (Linux)'); return }
  const cases = makeCases()
  const started = Date.now()

  // Phase 1: every case on both proxies at once, the same bytes at the same moments.
  const results = await pool(cases, WORKERS, async (c): Promise<Result> => {
    const from = nextAddress()
    const startMs = Date.now()
    const [fast, node] = await send([proxies.fast.port, proxies.node.port], from, c.pieces, c.delays)
    return { c, from, fast, node, startMs, endMs: Date.now() }
  })
  await sleep(SETTLE_MS)
  const ran = Date.now() - started

  // Neither process may have gone away mid-run (a crash shows as refused connections from then on):
  // the cases in flight when it did are the suspects.
  for (const p of [proxies.fast, proxies.node]) {
    const inFlight = results.filter(r => r.startMs <= p.exitMs && p.exitMs <= r.endMs + 50).map(r => `#${r.c.id} ${JSON.stringify(r.c.input)}`)
    assert.equal(p.exit, null, `${p.name} exited: ${p.exit}\n${p.stderr()}\nin flight:\n${inFlight.join('\n')}`)
  }

  const recs = (app: App, from: string) => app.byClient.get(from) ?? []

  // The unmutated corpus first: both paths deliver it whole and answer 2xx, or the harness is wrong.
  // (Sorted: Node's path forwards pipelined requests side by side, so they may reach its app in any order.)
  const sorted = (xs: Rec[]) => xs.map(key).sort()
  for (const r of results.slice(0, CORPUS.length)) {
    assert.deepEqual(sorted(recs(apps.fast, r.from)), sorted(recs(apps.node, r.from)), show(r, 'corpus', ''))
    assert.ok(recs(apps.fast, r.from).length > 0 && statuses(r.fast.received).every(is2xx), show(r, 'corpus', ''))
  }

  // What the fast path delivered that Node's app did not get, by position in the fast path's order.
  function unmatched(fast: Rec[], node: Rec[]): number[] {
    const left = new Map<string, number>()
    for (const x of node) left.set(key(x), (left.get(key(x)) ?? 0) + 1)
    const out: number[] = []
    fast.forEach((x, i) => { const n = left.get(key(x)) ?? 0; if (n > 0) left.set(key(x), n - 1); else out.push(i) })
    return out
  }

  /** The position at which Node refused the input with a 4xx after answering every request before
   *  it with 2xx, when its app got exactly those (so the position is not in doubt); else null. */
  function refusedAt(r: Result): number | null {
    const st = statuses(r.node.received)
    if (st.length === 0 || !is4xx(st[st.length - 1]) || !st.slice(0, -1).every(is2xx)) return null
    return recs(apps.node, r.from).length === st.length - 1 ? st.length - 1 : null
  }

  /** refusedAt(r), when the fast path answered 2xx there (and to every request before it). */
  function fastAcceptedAt(r: Result): number | null {
    const k = refusedAt(r)
    const st = statuses(r.fast.received)
    return k !== null && st.length > k && st.slice(0, k + 1).every(is2xx) ? k : null
  }

  // Phase 2. On the Node path, a parse error in a later pipelined request is answered at once and
  // can abort requests before it that are still on their way to the app: Node's parser delivered
  // them, its proxy dropped them. So for each mismatch, prefixes of the input (cut where a request
  // may end, before the bytes that err) go to the Node path alone. A streaming parser delivers on the
  // whole input everything it delivers on a prefix, so what an app gets from a prefix counts too.
  // The whole input goes once more in one write: after some of its own 400s (a missing Host) Node's
  // server parses on and hands the next pipelined request to the app, if it came before the close.
  const nodeSeen = new Map<Result, Rec[]>(results.map(r => [r, [...recs(apps.node, r.from)]]))
  const suspects = results.filter(r => unmatched(recs(apps.fast, r.from), nodeSeen.get(r) ?? []).length > 0 || fastAcceptedAt(r) !== null)
  const prefixRuns = suspects.flatMap(r => cutPoints(r.c.input).map(at => ({ r, at, from: nextAddress() })))
  await pool(prefixRuns, 16, x => send([proxies.node.port], x.from, [Buffer.from(x.r.c.input.slice(0, x.at), 'latin1')], [0]))
  await sleep(SETTLE_MS)
  for (const x of prefixRuns) nodeSeen.get(x.r)?.push(...recs(apps.node, x.from))

  // The other known difference, chunk framing the fast path refuses and Node accepts (sizes of 14+
  // hex digits, extensions past 1024 bytes), needs no exclusion here: it makes the fast path answer
  // 400 and deliver less, and these checks are about it delivering or accepting more.
  const smuggled: string[] = []
  const accepted: string[] = []
  const found = new Map<string, string[]>(FOUND.map(f => [f.name, []]))
  /** A mismatch: an open finding goes to its todo test, anything else fails here. */
  const report = (r: Result, into: string[], text: string) => {
    const bug = foundBug(r.c.input)
    if (bug !== null) found.get(bug)?.push(text)
    else into.push(text)
  }
  for (const r of results) {
    const fastRecs = recs(apps.fast, r.from)
    const nodeRecs = nodeSeen.get(r) ?? []
    const missing = unmatched(fastRecs, nodeRecs)
    // (2) No smuggling: every request the fast path delivered, Node's parser delivered too.
    if (missing.length > 0) {
      report(r, smuggled, show(r, 'delivered by the fast path only', JSON.stringify(missing.map(i => fastRecs[i]))))
    }
    // (3) Never 2xx where Node refused: at the position Node answered 4xx, the fast path must not
    // have answered 2xx, unless Node's parser did deliver that very request (a prefix showed it).
    const k = fastAcceptedAt(r)
    if (k !== null) {
      const rec = fastRecs[k]
      const delivered = rec !== undefined && nodeRecs.some(x => key(x) === key(rec))
      if (!delivered) report(r, accepted, show(r, `2xx from the fast path where Node answered ${statuses(r.node.received)[k]}`, JSON.stringify(rec)))
    }
  }
  openFindings = found

  // How the cases went, for whoever reads the output.
  const same = results.filter(r => JSON.stringify(statuses(r.fast.received)) === JSON.stringify(statuses(r.node.received))).length
  const delivered = results.reduce((n, r) => n + recs(apps.fast, r.from).length, 0)
  t.diagnostic(`seed ${SEED}: ${results.length} cases in ${ran} ms (+ ${prefixRuns.length} prefix runs for ${suspects.length} cases); ` +
    `same statuses in ${same}; ${delivered} requests delivered by the fast path; ` +
    `open findings ${JSON.stringify(Object.fromEntries([...found].map(([k, v]) => [k, v.length])))}`)

  assert.deepEqual(smuggled, [], `the fast path delivered requests Node's parser did not:\n${smuggled.join('\n')}`)
  assert.deepEqual(accepted, [], `the fast path answered 2xx where Node refused:\n${accepted.join('\n')}`)
})

// The open findings: these assert the right behaviour and fail until the fast path is fixed.
for (const f of FOUND) {
  test(`fuzz, open finding: ${f.name}`, { todo: f.todo }, t => {
    if (openFindings === null) { t.skip('the fuzz test did not run'); return }
    const cases = openFindings.get(f.name) ?? []
    assert.deepEqual(cases, [], `${cases.length} mismatches:\n${cases.join('\n')}`)
  })
}

test('fuzz: both proxies are still up and answer a plain GET with 200', async t => {
  if (!loopbackAliases) { t.skip('needs all of 127.0.0.0/8 on the loopback interface (Linux)'); return }
  for (const p of [proxies.fast, proxies.node]) {
    assert.equal(p.exit, null, `${p.name} exited: ${p.exit}\n${p.stderr()}`)
    const [o] = await send([p.port], nextAddress(), [Buffer.from('GET /f/alive HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 'latin1')], [0])
    assert.deepEqual(statuses(o.received), [200], `${p.name}: ${JSON.stringify(o.received.toString('latin1'))}`)
  }
})
