// WebSocket upgrades meet the Service's circuit breaker and outlier detection, through a real proxy
// in front of real upstreams on 127.0.0.1: an open tunnel holds a breaker slot until it closes (and
// frees it exactly once, however it ends), and an endpoint that fails upgrades is ejected.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net'
import { openWebSocket, startWebSocketApp, type WsClient } from '../../integration/harness/websocket.js'
import type { TrafficPolicyIR } from '../../ir/index.js'
import { listen, ResilienceProxy } from './resilience-proxy.test-harness.js'

const HOST = 'chat.example.com'
const ONE_AT_A_TIME = { circuitBreaker: { maxConnections: 1, maxPendingRequests: 0, maxRequests: 1024 } }
const EJECT_AFTER_TWO = {
  loadBalancer: { type: 'RoundRobin' as const, hashOn: null },
  outlierDetection: { consecutiveErrors: 2, intervalMs: 10_000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 },
}

/** Polls (each step yields to the event loop) until `check` holds; fails after many tries, not after a time. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return
    await new Promise(r => setTimeout(r, 5))
  }
  assert.fail(`never: ${what}`)
}

const closed = (ws: WsClient) => new Promise<void>(r => { if (ws.socket.destroyed) r(); else ws.socket.once('close', () => r()) })

async function withProxy(servers: Server[], policy: Partial<TrafficPolicyIR>, run: (proxy: ResilienceProxy, ports: number[]) => Promise<void>, extraPorts: number[] = []): Promise<void> {
  const ports: number[] = []
  for (const s of servers) ports.push(s.listening ? (s.address() as { port: number }).port : await listen(s))
  const proxy = await new ResilienceProxy([...ports, ...extraPorts], policy).start()
  try { await run(proxy, ports) } finally {
    await proxy.stop()
    for (const s of servers) { (s as Partial<{ closeAllConnections(): void }>).closeAllConnections?.(); s.close() }
  }
}

/** An upstream that answers every upgrade with `status` and closes. */
function refusingApp(status: number): { server: ReturnType<typeof createHttpServer>; upgrades: number } {
  const app = { server: createHttpServer((_req, res) => res.end()), upgrades: 0 }
  app.server.on('upgrade', (_req, socket: Socket) => {
    app.upgrades++
    socket.end(`HTTP/1.1 ${status} Nope\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`)
  })
  return app
}

/** An upstream that resets each connection once the request arrives. */
function resettingServer(): { server: Server; connections: number } {
  const s = { server: createNetServer(socket => { s.connections++; socket.once('data', () => socket.resetAndDestroy()) }), connections: 0 }
  return s
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createNetServer()
  const port = await listen(s)
  await new Promise(r => s.close(r))
  return port
}

test('a circuit breaker limit of one admits one open WebSocket; the next gets 503 overloaded until it closes', async () => {
  const app = await startWebSocketApp('chat-0')
  await withProxy([app.server], ONE_AT_A_TIME, async proxy => {
    const first = await openWebSocket(proxy.port, HOST, '/ws/1')
    assert.equal(first.status, 101, first.head)
    assert.equal(await first.send('hi'), 'chat-0:hi')
    const second = await openWebSocket(proxy.port, HOST, '/ws/2')
    assert.equal(second.status, 503, second.head)
    assert.match(second.head, /x-trellis-reason: overloaded/)
    second.socket.destroy()
    assert.equal(proxy.upstream.breaker!.active, 1, 'the open tunnel holds its slot')

    first.socket.destroy()
    await until('the closed tunnel frees its slot', () => proxy.upstream.breaker!.active === 0)
    const third = await openWebSocket(proxy.port, HOST, '/ws/3')
    assert.equal(third.status, 101, third.head)
    assert.equal(await third.send('again'), 'chat-0:again')
    third.socket.destroy()
    await until('freed again', () => proxy.upstream.breaker!.active === 0)
  })
})

test('a WebSocket waits as a pending request while the breaker is full, and leaves the queue when its client goes', async () => {
  const app = await startWebSocketApp('chat-0')
  await withProxy([app.server], { circuitBreaker: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1024 } }, async proxy => {
    const breaker = proxy.upstream.breaker!
    const first = await openWebSocket(proxy.port, HOST, '/ws/1')
    assert.equal(first.status, 101)
    const leaving = connect(proxy.port, '127.0.0.1')
    leaving.on('error', () => {})
    leaving.write(`GET /ws/leaving HTTP/1.1\r\nhost: ${HOST}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\nsec-websocket-version: 13\r\n\r\n`)
    await until('the leaving upgrade is queued', () => breaker.open)
    leaving.destroy()
    await until('it left the queue', () => !breaker.open)
    const queued = openWebSocket(proxy.port, HOST, '/ws/queued')
    await until('the next upgrade is queued', () => breaker.open)
    const third = await openWebSocket(proxy.port, HOST, '/ws/3')
    assert.equal(third.status, 503, 'past maxPendingRequests: refused at once')
    third.socket.destroy()
    first.socket.destroy()
    const second = await queued
    assert.equal(second.status, 101, 'admitted once the first closed')
    assert.equal(await second.send('late'), 'chat-0:late')
    assert.deepEqual(app.upgrades, ['/ws/1', '/ws/queued'], 'the upgrade whose client left never reached the app')
    second.socket.destroy()
    await until('freed', () => breaker.active === 0)
  })
})

test('every way an upgrade ends frees its breaker slot exactly once', async () => {
  const app = await startWebSocketApp('chat-0')
  const refusing = refusingApp(503)
  const resetting = resettingServer()
  const silent = createNetServer(socket => socket.resume())             // never answers
  const dead = await closedPort()
  const closing = await startWebSocketApp('closing')
  let n = 0
  closing.server.on('upgrade', (_req, socket: Socket) => setImmediate(() => { if (n++ % 2 === 0) socket.end(); else socket.resetAndDestroy() }))
  // RoundRobin tries every endpoint in turn: a tunnel the client closes, the app closes or resets, or
  // the idle timeout ends; a 503 answer; a reset or no answer at all; a refused connect (retried on the next).
  await withProxy([app.server, refusing.server, resetting.server, closing.server, silent], { ...ONE_AT_A_TIME, loadBalancer: { type: 'RoundRobin', hashOn: null } }, async (proxy, ports) => {
    proxy.idleTimeout(300)
    const breaker = proxy.upstream.breaker!
    const statuses: number[] = []
    for (let i = 0; i < 18; i++) {
      const ws = await openWebSocket(proxy.port, HOST, `/ws/${i}`)
      statuses.push(ws.status)
      if (i % 2 === 0) ws.socket.destroy()                       // the client closes
      else await closed(ws)                                      // the proxy, the app or the idle timeout closes
      await until(`upgrade ${i} (${ws.status}) frees its slot`, () => breaker.active === 0)
    }
    for (const s of [101, 502, 503, 504]) assert.ok(statuses.includes(s), `no ${s} among ${statuses.join(' ')}`)
    // Had any slot been freed twice, `active` would be below zero now and both of these would get in.
    proxy.clusters.update([proxy.cluster([ports[0]], ONE_AT_A_TIME)])
    const a = await openWebSocket(proxy.port, HOST, '/ws/a')
    const b = await openWebSocket(proxy.port, HOST, '/ws/b')
    assert.deepEqual([a.status, b.status], [101, 503])
    a.socket.destroy(); b.socket.destroy()
    await until('freed', () => breaker.active === 0)
  }, [dead])
})

const failing: { name: string; start: () => Promise<{ port: number; stop: () => void; tries: () => number | null }>; status: number }[] = [
  { name: 'answers 503 instead of 101', status: 503, start: async () => {
    const a = refusingApp(503)
    return { port: await listen(a.server), stop: () => a.server.close(), tries: () => a.upgrades }
  } },
  { name: 'resets the connection before answering', status: 502, start: async () => {
    const r = resettingServer()
    return { port: await listen(r.server), stop: () => r.server.close(), tries: () => r.connections }
  } },
  { name: 'refuses connections', status: 101, start: async () => ({ port: await closedPort(), stop: () => {}, tries: () => null }) },
]

for (const c of failing) {
  test(`an endpoint that ${c.name} is ejected after consecutiveErrors, and upgrades go to the healthy one`, async () => {
    const good = await startWebSocketApp('good')
    const bad = await c.start()
    try {
      await withProxy([good.server], EJECT_AFTER_TWO, async proxy => {
        const statuses: number[] = []
        for (let i = 0; i < 12; i++) {
          const ws = await openWebSocket(proxy.port, HOST, `/ws/${i}`)
          statuses.push(ws.status)
          if (ws.status === 101) assert.equal(await ws.send('x'), 'good:x')
          ws.socket.destroy()
        }
        const badEndpoint = proxy.upstream.endpoints.find(e => e.port === bad.port)!
        assert.ok(badEndpoint.ejectedUntil > 0, 'the failing endpoint is ejected')
        if (bad.tries() !== null) assert.equal(bad.tries(), 2, 'no upgrade reached it after its second failure')
        assert.equal(statuses.filter(s => s !== 101).length, c.status === 101 ? 0 : 2, `statuses ${statuses.join(' ')}`)
        if (c.status !== 101) assert.ok(statuses.includes(c.status), `statuses ${statuses.join(' ')}`)
        assert.equal(good.upgrades.length, 12 - statuses.filter(s => s !== 101).length)
        assert.ok(statuses.slice(-6).every(s => s === 101), 'the last upgrades all reach the healthy endpoint')
      }, [bad.port])
    } finally { bad.stop() }
  })
}
