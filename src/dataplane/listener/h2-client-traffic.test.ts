// ClientTrafficPolicy for HTTP/2 (h2c) connections, through a real proxy on 127.0.0.1: an idle
// connection is closed with GOAWAY while a request in flight still gets its answer, and a changed
// http2MaxConcurrentStreams is what new connections are told.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect, type ClientHttp2Session, type Settings } from 'node:http2'
import { DEFAULT_CLIENT_TRAFFIC } from '../../ir/client-traffic.js'
import { listen, ResilienceProxy } from '../upstream/resilience-proxy.test-harness.js'

function get(session: ClientHttp2Session, path: string): Promise<{ status: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':path': path })
    let status: unknown, body = ''
    s.setEncoding('utf8')
    s.on('response', h => { status = h[':status'] })
    s.on('data', (c: string) => { body += c })
    s.on('end', () => resolve({ status, body }))
    s.on('error', reject)
  })
}

test('an idle HTTP/2 connection is closed after the idle timeout; a slower request in flight is answered first', { timeout: 10_000 }, async t => {
  let arrived!: () => void, release!: () => void
  const slowArrived = new Promise<void>(resolve => { arrived = resolve })
  const released = new Promise<void>(resolve => { release = resolve })
  const upstream = createServer((req, res) => {
    if (req.url === '/slow') { arrived(); void released.then(() => res.end('slow')); return }
    res.end('fast')
  })
  const proxy = await new ResilienceProxy([await listen(upstream)]).start()
  proxy.clientTraffic({ ...DEFAULT_CLIENT_TRAFFIC, idleTimeoutMs: 200 })
  const session = connect(`http://127.0.0.1:${proxy.port}`)
  t.after(async () => {
    session.destroy()
    await proxy.stop()
    upstream.closeAllConnections()
    upstream.close()
  })
  session.on('error', () => {})
  const closed = new Promise<void>(resolve => session.once('close', resolve))
  let goaway = false
  session.once('goaway', () => { goaway = true })
  assert.deepEqual(await get(session, '/'), { status: 200, body: 'fast' })
  const slow = get(session, '/slow')
  await slowArrived
  await new Promise<void>(resolve => session.once('goaway', () => resolve()))   // idle: no frames meanwhile
  release()
  assert.deepEqual(await slow, { status: 200, body: 'slow' }, 'the request in flight is answered')
  await closed
  assert.ok(goaway, 'closed with GOAWAY')
})

/** The SETTINGS a new connection to `port` is sent. */
function serverSettings(port: number): Promise<Settings> {
  const session = connect(`http://127.0.0.1:${port}`)
  return new Promise<Settings>((resolve, reject) => {
    session.once('remoteSettings', resolve)
    session.once('error', reject)
  }).finally(() => session.destroy())
}

test('a changed http2MaxConcurrentStreams applies to new HTTP/2 connections', { timeout: 10_000 }, async t => {
  const upstream = createServer((_req, res) => res.end('ok'))
  const proxy = await new ResilienceProxy([await listen(upstream)]).start()
  t.after(async () => { await proxy.stop(); upstream.close() })
  assert.equal((await serverSettings(proxy.port)).maxConcurrentStreams, DEFAULT_CLIENT_TRAFFIC.http2MaxConcurrentStreams)
  proxy.clientTraffic({ ...DEFAULT_CLIENT_TRAFFIC, http2MaxConcurrentStreams: 7 })
  assert.equal((await serverSettings(proxy.port)).maxConcurrentStreams, 7)
})
