// RequestMirror through a real proxy on 127.0.0.1: a mirror that never answers neither slows the
// requests it copies nor gets more copies open at once than its Service's circuit breaker allows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type ServerResponse } from 'node:http'
import type { FilterIR } from '../../ir/index.js'
import { listen, ResilienceProxy, SERVICE } from '../upstream/resilience-proxy.test-harness.js'

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, res => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', reject)
    req.end()
  })
}

test('copies to a mirror that does not answer are capped at its circuit breaker maxRequests; the requests themselves are unaffected', { timeout: 20_000 }, async t => {
  // One upstream plays both parts: copies (Host ending in -shadow) are held unanswered until released.
  const held: ServerResponse[] = []
  const copies: string[] = []
  let copyArrived: (() => void) | null = null
  const upstream = createServer((req, res) => {
    if (!String(req.headers.host).endsWith('-shadow')) { res.end('ok'); return }
    copies.push(req.url ?? '')
    held.push(res)
    copyArrived?.()
  })
  const mirror: FilterIR = { type: 'RequestMirror', requestMirror: { service: SERVICE, percent: 100 } }
  const proxy = await new ResilienceProxy([await listen(upstream)],
    { circuitBreaker: { maxConnections: 1024, maxRequests: 2, maxPendingRequests: 1024 } }, { filters: [mirror] }).start()
  t.after(async () => {
    for (const r of held) r.destroy()
    await proxy.stop()
    upstream.closeAllConnections()
    upstream.close()
  })
  const nextCopy = () => new Promise<void>(resolve => { copyArrived = resolve })

  let arrived = nextCopy()
  assert.equal(await get(proxy.port, '/1'), 200)
  await arrived
  arrived = nextCopy()
  assert.equal(await get(proxy.port, '/2'), 200)
  await arrived
  for (const n of [3, 4, 5]) assert.equal(await get(proxy.port, `/${n}`), 200, 'the request is answered while its mirror is full')

  // Once the two held copies are answered, copies go out again: the first one that arrives shows
  // that those of requests 3–5, sent well before it, never were.
  arrived = nextCopy()
  for (const r of held.splice(0)) r.end()
  for (let n = 6; copies.length < 3; n++) {
    assert.equal(await get(proxy.port, `/${n}`), 200)
    await Promise.race([arrived, new Promise(resolve => setImmediate(resolve))])
  }
  assert.deepEqual(copies.slice(0, 2), ['/1', '/2'])
  assert.ok(!['/3', '/4', '/5'].includes(copies[2]), `copy of ${copies[2]} was sent while the mirror was full`)
  assert.match(proxy.clusters.metricsText(), /trellis_mirror_copies_skipped_total\{service="default\/up"\} [3-9]/)
})
