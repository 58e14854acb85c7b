// The forwarding path with HTTP/2 clients that reset their streams: what reaches the upstream, and
// that the request ends, over real sockets on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, createServer as createH2Server } from 'node:http2'
import { DEFAULT_TRAFFIC_POLICY } from '../../ir/index.js'
import { nowMs } from '../../lib/monotonic-clock.js'
import { Exchange } from '../exchange.js'
import { Cluster } from './cluster.js'
import { forward } from './forward.js'
import { listen } from './resilience-proxy.test-harness.js'

test('a request whose HTTP/2 client reset the stream before forwarding began is not sent upstream', async () => {
  let hits = 0
  const upstream = createServer((_req, res) => { hits++; res.end('ok') })
  const cluster = new Cluster('default/up', {
    service: 'default/up', protocol: 'http', port: 80, policy: DEFAULT_TRAFFIC_POLICY, healthCheck: null,
    endpoints: [{ address: `127.0.0.1:${await listen(upstream)}`, instance: null, labels: {}, mesh: false, identity: null }],
  })
  // A front that starts forwarding only once the client has gone, as after an asynchronous step
  // (an injected delay, a rate limit or JWKS lookup) during which the client reset the stream.
  let forwarded!: (status: number) => void
  const status = new Promise<number>(resolve => { forwarded = resolve })
  const front = createH2Server((req, res) => {
    res.once('close', () => {
      const x = new Exchange(req as unknown as IncomingMessage, res as unknown as ServerResponse, '/', null, {}, nowMs(), '127.0.0.1')
      forward(x, cluster, { timeoutMs: 0, attemptTimeoutMs: 0, retry: null }, s => forwarded(s))
    })
  })
  const session = connect(`http://127.0.0.1:${await listen(front as never)}`)
  try {
    const stream = session.request({ ':path': '/' })
    stream.on('error', () => {})
    await new Promise<void>(resolve => stream.once('ready', resolve))
    stream.close(8)
    assert.equal(await status, 499)
    assert.equal(hits, 0)
  } finally {
    session.destroy()
    front.close()
    cluster.close()
    upstream.closeAllConnections()
    upstream.close()
  }
})
