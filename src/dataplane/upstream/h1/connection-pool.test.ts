import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createNetServer, type Socket } from 'node:net'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AttemptFailure } from '../../resilience/retry-policy.js'
import { H1Pool } from './connection-pool.js'
import { IdleList } from './idle-list.js'
import type { H1Connection, H1Exchange } from './connection.js'

interface Outcome { status: number; body: string; failure: AttemptFailure | null }

/** One GET over the pool with a minimal exchange: what the connection reports. */
function get(pool: H1Pool, path: string, timeoutMs = 0): Promise<Outcome> {
  return new Promise(resolve => {
    const out: Outcome = { status: 0, body: '', failure: null }
    const conn: H1Connection = pool.acquire()
    const ex: H1Exchange = {
      requestDone: true,
      onHead(status) { out.status = status },
      onBody(chunk) { out.body += chunk.toString() },
      onComplete() { resolve(out) },
      onFailure(kind) { out.failure = kind; resolve(out) },
      onTimeout() { out.failure = 'timeout'; conn.destroy(); resolve(out) },
      onDrain() {},
      detach() {},
    }
    conn.begin(ex, false, timeoutMs)
    conn.socket.write(`GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`, 'latin1')
  })
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

test('h1 pool: sequential requests reuse one keep-alive socket', async () => {
  const server = createServer((req, res) => res.end(`hi ${req.url}`))
  const port = await listen(server)
  const pool = new H1Pool('127.0.0.1', port)
  try {
    for (let i = 0; i < 5; i++) {
      const r = await get(pool, `/${i}`)
      assert.deepEqual(r, { status: 200, body: `hi /${i}`, failure: null })
      await sleep(1)                                  // settle runs after the body is handed over
    }
    assert.equal(pool.opened, 1)
    assert.equal(pool.idleCount, 1)
  } finally { pool.close(); server.closeAllConnections(); server.close() }
})

test('h1 pool: idle sockets close after the idle timeout, and the number kept is bounded', async () => {
  const server = createServer((_req, res) => setTimeout(() => res.end('ok'), 5))
  const port = await listen(server)
  const pool = new H1Pool('127.0.0.1', port, { maxIdle: 2, idleTimeoutMs: 60 })
  try {
    await Promise.all([get(pool, '/a'), get(pool, '/b'), get(pool, '/c')])
    await sleep(5)
    assert.equal(pool.opened, 3)
    assert.equal(pool.idleCount, 2)                  // the third went over maxIdle and was closed
    await sleep(200)
    assert.equal(pool.idleCount, 0)
    assert.equal((await get(pool, '/d')).status, 200)
    assert.equal(pool.opened, 4)
  } finally { pool.close(); server.closeAllConnections(); server.close() }
})

test('h1 pool: a server closing an idle socket removes it from the pool', async () => {
  const server = createServer((req, res) => res.end('ok', () => setTimeout(() => req.socket.end(), 10)))   // closes each socket once idle
  const port = await listen(server)
  const pool = new H1Pool('127.0.0.1', port)
  try {
    assert.equal((await get(pool, '/')).status, 200)
    await sleep(100)
    assert.equal(pool.idleCount, 0)
    assert.equal((await get(pool, '/')).status, 200)
    assert.equal(pool.opened, 2)
  } finally { pool.close(); server.closeAllConnections(); server.close() }
})

test('h1 pool: a reused socket reset before any response byte is a connect-failure; a fresh one is a reset', async () => {
  // Answers the first request on each socket, then drops the socket when the next request arrives:
  // the race of a server closing an idle connection just as it is reused.
  const sockets = new Set<Socket>()
  const server = createNetServer(s => {
    sockets.add(s)
    let n = 0
    s.on('data', () => {
      if (n++ === 0) s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
      else s.destroy()
    })
    s.on('error', () => {})
  })
  const port = await listen(server)
  const pool = new H1Pool('127.0.0.1', port)
  try {
    assert.equal((await get(pool, '/')).status, 200)
    await sleep(5)
    assert.equal(pool.idleCount, 1)
    const second = await get(pool, '/')
    assert.equal(second.failure, 'connect-failure')
    assert.equal(pool.idleCount, 0)
    // The same drop on a fresh socket may have reached the app: a reset, not retried as a connect-failure.
    const rude = createNetServer(c => { c.on('data', () => c.destroy()); c.on('error', () => {}) })
    const rudePool = new H1Pool('127.0.0.1', await listen(rude))
    assert.equal((await get(rudePool, '/')).failure, 'reset')
    rudePool.close()
    rude.close()
  } finally { pool.close(); for (const s of sockets) s.destroy(); server.close() }
})

test('h1 pool: a refused connection is a connect-failure; a silent upstream times out', async () => {
  const dead = createNetServer()
  const deadPort = await listen(dead)
  await new Promise<void>(resolve => dead.close(() => resolve()))
  const refused = await get(new H1Pool('127.0.0.1', deadPort), '/')
  assert.equal(refused.failure, 'connect-failure')

  const silent = createNetServer(s => s.on('error', () => {}))
  const port = await listen(silent)
  const pool = new H1Pool('127.0.0.1', port)
  try {
    const t0 = Date.now()
    const r = await get(pool, '/', 50)
    assert.equal(r.failure, 'timeout')
    assert.ok(Date.now() - t0 < 2000)
  } finally { pool.close(); silent.close() }
})

/** `n` node:http servers counting the sockets open on their side. */
async function servers(n: number, delayMs = 0): Promise<{ ports: number[]; open: () => number; close: () => void }> {
  const list: Server[] = []
  let open = 0
  for (let i = 0; i < n; i++) {
    const s = createServer((_req, res) => { if (delayMs > 0) setTimeout(() => res.end('ok'), delayMs); else res.end('ok') })
    s.keepAliveTimeout = 60_000
    s.on('connection', (sock: Socket) => { open++; sock.once('close', () => open--) })
    list.push(s)
  }
  const ports = await Promise.all(list.map(s => listen(s)))
  return { ports, open: () => open, close: () => { for (const s of list) { s.closeAllConnections(); s.close() } } }
}

test('h1 pool: idle sockets across endpoints stay within the shared limit, the longest idle closed first', async () => {
  const srv = await servers(24)
  const shared = new IdleList(6)
  const pools = srv.ports.map(p => new H1Pool('127.0.0.1', p, { maxIdle: 256, idleTimeoutMs: 60_000, shared }))
  try {
    for (let round = 0; round < 3; round++) {
      for (const pool of pools) assert.equal((await get(pool, '/')).status, 200)   // round-robin, one at a time
    }
    await sleep(50)                                   // the servers see the closes
    assert.equal(shared.size, 6)
    assert.equal(srv.open(), 6)                       // without the limit: 24, one per endpoint
    assert.deepEqual(pools.map(p => p.idleCount), [...Array(18).fill(0), ...Array(6).fill(1)])   // the last used are kept
  } finally { for (const p of pools) p.close(); srv.close() }
})

test('h1 pool: the shared limit never closes a socket in use, and lowering it closes the oldest idle', async () => {
  const srv = await servers(8, 30)
  const shared = new IdleList(2)
  const pools = srv.ports.map(p => new H1Pool('127.0.0.1', p, { maxIdle: 256, idleTimeoutMs: 60_000, shared }))
  try {
    // All eight in flight together: they finish one after another, each release closing an older idle one.
    const all = await Promise.all(pools.map(p => get(p, '/')))
    assert.ok(all.every(r => r.status === 200 && r.failure === null))
    assert.equal(shared.size, 2)
    shared.limit = 8
    for (const p of pools) assert.equal((await get(p, '/')).status, 200)
    await sleep(5)
    assert.equal(shared.size, 8)
    shared.limit = 3
    assert.equal(shared.size, 3)
    assert.deepEqual(pools.map(p => p.idleCount), [0, 0, 0, 0, 0, 1, 1, 1])
    await sleep(50)
    assert.equal(srv.open(), 3)
  } finally { for (const p of pools) p.close(); srv.close() }
})

test('h1 pool: under the shared limit one endpoint keeps reusing its most recent socket (LIFO)', async () => {
  const srv = await servers(1, 5)
  const shared = new IdleList(4)
  const pool = new H1Pool('127.0.0.1', srv.ports[0], { maxIdle: 256, idleTimeoutMs: 60_000, shared })
  try {
    await Promise.all([get(pool, '/'), get(pool, '/'), get(pool, '/')])   // three sockets
    await sleep(5)
    assert.equal(pool.idleCount, 3)
    for (let i = 0; i < 10; i++) { assert.equal((await get(pool, '/')).status, 200); await sleep(1) }
    assert.equal(pool.opened, 3)
    assert.equal(shared.size, 3)
  } finally { pool.close(); srv.close() }
  assert.equal(shared.size, 0)                        // closing the pool takes its sockets off the shared list
})

test('h1 pool: each pool keeps its own idle timeout in the shared list; a per-try timeout does not shorten it', async () => {
  const srv = await servers(2)
  const shared = new IdleList(16)
  const short = new H1Pool('127.0.0.1', srv.ports[0], { maxIdle: 4, idleTimeoutMs: 50, shared })
  const long = new H1Pool('127.0.0.1', srv.ports[1], { maxIdle: 4, idleTimeoutMs: 10_000, shared })
  try {
    assert.equal((await get(long, '/', 30)).status, 200)       // a 30 ms per-try timeout while in use
    assert.equal((await get(short, '/')).status, 200)
    await sleep(5)
    assert.equal(shared.size, 2)
    await sleep(200)
    assert.equal(short.idleCount, 0)                             // timed out
    assert.equal(long.idleCount, 1)                              // still idle, long past the 30 ms
    assert.equal(shared.size, 1)
    await sleep(50)
    assert.equal(srv.open(), 1)
    assert.equal((await get(long, '/')).status, 200)
    assert.equal(long.opened, 1)
  } finally { short.close(); long.close(); srv.close() }
})

test('h1 pool: surplus idle sockets close after the short timeout; the warm one stays and is reused', async () => {
  const srv = await servers(1, 10)
  const shared = new IdleList(64)
  const pool = new H1Pool('127.0.0.1', srv.ports[0], { maxIdle: 256, idleTimeoutMs: 10_000, surplusIdleTimeoutMs: 300, shared })
  try {
    const burst = await Promise.all(Array.from({ length: 5 }, () => get(pool, '/')))   // five sockets at once
    assert.ok(burst.every(r => r.status === 200))
    await sleep(5)
    assert.equal(pool.idleCount, 5)
    await sleep(900)
    assert.equal(pool.idleCount, 1)                               // four surplus closed, one kept warm
    await sleep(50)
    assert.equal(srv.open(), 1)
    for (let i = 0; i < 3; i++) { assert.equal((await get(pool, '/')).status, 200); await sleep(100) }
    assert.equal(pool.opened, 5)                                  // light traffic reuses the warm socket
    assert.equal(pool.idleCount, 1)
  } finally { pool.close(); srv.close() }
})
