// Connections to a `tcp` Service meet its circuit breaker and outlier detection, through a real TCP
// listener in front of real upstreams on 127.0.0.1: an open tunnel holds a connection slot until it
// closes (and frees it exactly once, however it ends), one past maxConnections is closed at once, and
// an endpoint that refuses connections is ejected and no longer tried.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { DEFAULT_TRAFFIC_POLICY, type TrafficPolicyIR } from '../../ir/index.js'
import type { ClusterIR } from '../../snapshot/types.js'
import { singleStreamRouter } from '../build/stream-router.js'
import { TcpListener } from '../listener/tcp-listener.js'
import { ClusterSet } from './cluster-set.js'
import { listen } from './resilience-proxy.test-harness.js'

const SERVICE = 'default/raw'
const ONE_AT_A_TIME = { circuitBreaker: { maxConnections: 1, maxPendingRequests: 1024, maxRequests: 1024 } }
const EJECT_AFTER_TWO = {
  loadBalancer: { type: 'RoundRobin' as const, hashOn: null },
  outlierDetection: { consecutiveErrors: 2, intervalMs: 10_000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 },
}

/** A TcpListener routing every connection to SERVICE, whose endpoints and policy a test chooses. */
class StreamProxy {
  readonly clusters = new ClusterSet()
  readonly listener: TcpListener

  constructor(ports: number[], private readonly policy: Partial<TrafficPolicyIR>, idleTimeoutMs = 0) {
    this.endpoints(ports)
    this.listener = new TcpListener({ name: 'test', sniff: false, idleTimeoutMs })
    this.listener.router = singleStreamRouter({ route: 'default/raw', service: SERVICE, cluster: this.upstream })
  }

  /** New endpoints, as a config update gives them (the Cluster and its breaker are kept). */
  endpoints(ports: number[]): void {
    const ir: ClusterIR = {
      service: SERVICE, protocol: 'tcp', port: 80, policy: { ...DEFAULT_TRAFFIC_POLICY, ...this.policy }, healthCheck: null,
      endpoints: ports.map(p => ({ address: `127.0.0.1:${p}`, instance: null, labels: {}, mesh: false, identity: null })),
    }
    this.clusters.update([ir])
  }

  get upstream() { return this.clusters.byService.get(SERVICE)! }
  get port(): number { return this.listener.port }
}

async function withProxy(ports: number[], policy: Partial<TrafficPolicyIR>, run: (proxy: StreamProxy) => Promise<void>, idleTimeoutMs = 0): Promise<void> {
  const proxy = new StreamProxy(ports, policy, idleTimeoutMs)
  await proxy.listener.listen(0, '127.0.0.1')
  try { await run(proxy) } finally {
    await proxy.listener.close(0)
    proxy.clusters.close()
  }
}

/** Polls (each step yields to the event loop) until `check` holds; fails after many tries, not after a time. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return
    await new Promise(r => setTimeout(r, 5))
  }
  assert.fail(`never: ${what}`)
}

interface App { server: Server; port: number; connections: number; stop(): void }

/** A TCP app answering every chunk with `name:` + the chunk; `onData` may end the connection its own way. */
async function startApp(name: string, onData: (s: Socket) => void = () => {}, port = 0): Promise<App> {
  const sockets = new Set<Socket>()
  const app: App = {
    server: createServer({ allowHalfOpen: true }, s => {
      app.connections++
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
      s.on('error', () => s.destroy())
      s.on('data', d => { s.write(`${name}:${d}`); onData(s) })
      s.on('end', () => s.end())
    }),
    port: 0, connections: 0,
    stop: () => { for (const s of sockets) s.destroy(); app.server.close() },
  }
  app.port = port === 0 ? await listen(app.server) : await new Promise<number>((resolve, reject) => {
    app.server.once('error', reject)
    app.server.listen(port, '127.0.0.1', () => resolve(port))
  })
  return app
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer()
  const port = await listen(s)
  await new Promise(r => s.close(r))
  return port
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => { s.off('error', reject); s.on('error', () => {}); resolve(s) })
    s.once('error', reject)
  })
}

/** Sends `msg` and resolves with the first answer, or with null if the connection closes instead. */
function say(s: Socket, msg: string): Promise<string | null> {
  return new Promise(resolve => {
    const onData = (d: Buffer) => { s.off('close', onClose); resolve(d.toString()) }
    const onClose = () => { s.off('data', onData); resolve(null) }
    s.once('data', onData)
    s.once('close', onClose)
    s.write(msg)
  })
}

const closed = (s: Socket) => new Promise<void>(r => { if (s.destroyed) r(); else s.once('close', () => r()) })

test('a circuit breaker maxConnections of one admits one TCP connection; the next is closed at once, until the first closes', async () => {
  const app = await startApp('a')
  try {
    await withProxy([app.port], ONE_AT_A_TIME, async proxy => {
      const breaker = proxy.upstream.breaker!
      const first = await open(proxy.port)
      assert.equal(await say(first, 'hi'), 'a:hi')
      const second = await open(proxy.port)
      assert.equal(await say(second, 'me too'), null, 'closed without reaching the app')
      assert.equal(breaker.rejected, 1, 'counted as overflow')
      assert.equal(breaker.active, 1, 'the open tunnel holds its slot')

      first.destroy()
      await until('the closed tunnel frees its slot', () => breaker.active === 0)
      const third = await open(proxy.port)
      assert.equal(await say(third, 'again'), 'a:again')
      third.destroy()
      await until('freed again', () => breaker.active === 0)
      assert.equal(app.connections, 2, 'the refused connection never reached the app')
    })
  } finally { app.stop() }
})

test('every way a TCP connection ends frees its circuit breaker slot exactly once', async () => {
  const echo = await startApp('echo')
  const ending = await startApp('ending', s => s.end())
  const resetting = await startApp('resetting', s => setImmediate(() => s.resetAndDestroy()))
  const dead = await closedPort()
  const cases: { name: string; ports: number[]; run: (s: Socket) => Promise<void> }[] = [
    { name: 'the client closes', ports: [echo.port], run: async s => { assert.equal(await say(s, 'x'), 'echo:x'); s.destroy() } },
    { name: 'the client half-closes, then the app', ports: [echo.port], run: async s => { assert.equal(await say(s, 'x'), 'echo:x'); s.end(); await closed(s) } },
    { name: 'the app closes', ports: [ending.port], run: async s => { assert.equal(await say(s, 'x'), 'ending:x'); await closed(s) } },
    { name: 'the app resets', ports: [resetting.port], run: async s => { await say(s, 'x'); await closed(s) } },   // its answer may be lost with the reset
    { name: 'the idle timeout ends it', ports: [echo.port], run: s => closed(s) },
    { name: 'no endpoint accepts the connect', ports: [dead], run: async s => { assert.equal(await say(s, 'x'), null) } },
    { name: 'the Service has no endpoint', ports: [], run: async s => { assert.equal(await say(s, 'x'), null) } },
  ]
  try {
    await withProxy([echo.port], ONE_AT_A_TIME, async proxy => {
      const breaker = proxy.upstream.breaker!
      for (const c of cases) {
        proxy.endpoints(c.ports)
        await c.run(await open(proxy.port))
        await until(`${c.name}: its slot is freed`, () => breaker.active === 0)
      }
      // Had any slot been freed twice, `active` would be below zero now and both of these would get in.
      proxy.endpoints([echo.port])
      const a = await open(proxy.port)
      assert.equal(await say(a, 'a'), 'echo:a')
      const b = await open(proxy.port)
      assert.equal(await say(b, 'b'), null, 'one slot only')
      a.destroy()
      await until('freed', () => breaker.active === 0)
    }, 300)
  } finally { for (const app of [echo, ending, resetting]) app.stop() }
})

test('an endpoint that refuses connections is ejected after consecutiveErrors; connections are retried on the healthy one and no longer try it', async () => {
  const good = await startApp('good')
  const badPort = await closedPort()
  let bad: App | null = null
  try {
    await withProxy([good.port, badPort], EJECT_AFTER_TWO, async proxy => {
      for (let i = 0; i < 6; i++) {
        const s = await open(proxy.port)
        assert.equal(await say(s, `${i}`), `good:${i}`, 'a refused connect is retried on the other endpoint')
        s.destroy()
      }
      const badEndpoint = proxy.upstream.endpoints.find(e => e.port === badPort)!
      assert.ok(badEndpoint.ejectedUntil > 0, 'the refusing endpoint is ejected')
      assert.equal(proxy.upstream.endpoints.find(e => e.port === good.port)!.ejectedUntil, 0)

      bad = await startApp('bad', () => {}, badPort)             // it would accept now, but is ejected
      for (let i = 0; i < 6; i++) {
        const s = await open(proxy.port)
        assert.equal(await say(s, `late${i}`), `good:late${i}`)
        s.destroy()
      }
      assert.equal(bad.connections, 0, 'no connection went to the ejected endpoint')
      assert.equal(good.connections, 12)
    })
  } finally {
    good.stop()
    ;(bad as App | null)?.stop()
  }
})
