// The proxy's link to the control plane against a control plane played by a plain HTTP server on
// 127.0.0.1, to hold answers back in an order a real one produces only under load.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigClient } from './config-client.js'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

test('a late "unknown proxy" answer about an earlier registration does not close the current stream', async () => {
  const registered: string[] = []
  const streams = new Map<string, ServerResponse>()
  const heldStatus: ServerResponse[] = []
  const server = createServer((req, res) => {
    const url = req.url ?? ''
    req.resume()
    if (req.method === 'POST' && url === '/api/v1/proxies') {
      const id = `p${registered.length + 1}`
      registered.push(id)
      res.writeHead(201, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ id, identity: 'spiffe://t/ns/default/sa/w', heartbeatMs: 60_000 }))
    }
    const stream = /^\/api\/v1\/proxies\/(\w+)\/stream$/.exec(url)
    if (stream) { res.writeHead(200, { 'content-type': 'application/x-ndjson' }); res.flushHeaders(); streams.set(stream[1], res); return }
    if (url === '/api/v1/proxies/p1/status') { heldStatus.push(res); return }   // answered later, as unknown
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{}')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const client = new ConfigClient({
    controlPlane: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't',
    registration: () => ({ kind: 'sidecar', workload: 'w', replica: 0, pid: process.pid, adminAddress: '127.0.0.1:1' }),
    apply: async () => {}, appReady: () => true, log: () => {},
  })
  try {
    client.start()
    for (let i = 0; i < 200 && !streams.has('p1'); i++) await sleep(10)
    client.reportNow()                                         // its answer is held back
    for (let i = 0; i < 200 && heldStatus.length === 0; i++) await sleep(10)
    streams.get('p1')!.destroy()                               // the control plane forgot p1: register again
    for (let i = 0; i < 300 && !streams.has('p2'); i++) await sleep(10)
    assert.ok(streams.has('p2'), 'registered again with a stream')
    const late = heldStatus[0]
    late.writeHead(404, { 'content-type': 'application/json' })
    late.end('{"error":"unknown proxy; register again"}')     // about p1, after p2 registered
    await sleep(500)
    assert.deepEqual(registered, ['p1', 'p2'], 'the stream of p2 stays: no third registration')
    assert.equal(streams.get('p2')!.destroyed, false)
    assert.equal(client.proxyId, 'p2')
  } finally {
    client.stop()
    server.closeAllConnections()
    server.close()
  }
})

test('after joining, every call goes with the proxy\'s own credential, renewed ones replace it, and a refused one sends the proxy back to its join token', async () => {
  const calls: string[] = []                           // "what path: which authorization"
  const streams = new Map<string, ServerResponse>()
  let registrations = 0, statusAnswers = 0, refused: string | null = null
  const server = createServer((req, res) => {
    const url = req.url ?? '', auth = req.headers.authorization ?? ''
    req.resume()
    const what = url === '/api/v1/proxies' ? 'register' : url.endsWith('/stream') ? 'stream' : url.endsWith('/status') ? 'status' : url
    calls.push(`${what}: ${auth}`)
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)) }
    if (auth === refused) return json(401, { error: 'the proxy credential expired' })
    if (what === 'register') {
      registrations++
      return json(201, { id: `p${registrations}`, identity: 'spiffe://t/ns/default/sa/w', heartbeatMs: 60_000, credential: `cred-${registrations}` })
    }
    if (what === 'stream') { res.writeHead(200, { 'content-type': 'application/x-ndjson' }); res.flushHeaders(); streams.set(url, res); return }
    statusAnswers++
    json(200, statusAnswers === 1 ? { version: 1, credential: 'cred-renewed' } : { version: 1 })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const logs: string[] = []
  const client = new ConfigClient({
    controlPlane: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'join',
    registration: () => ({ kind: 'sidecar', workload: 'w', replica: 0, pid: process.pid, adminAddress: '127.0.0.1:1' }),
    apply: async () => {}, appReady: () => true, log: line => logs.push(line),
  })
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 1500 && !ok(); i++) await sleep(10)
    assert.ok(ok(), `${what}; calls: ${calls.join(', ')}`)
  }
  try {
    client.start()
    await until('the stream opened', () => streams.size === 1)
    client.reportNow()
    await until('a status answered', () => statusAnswers === 1)
    client.reportNow()
    await until('a second status answered', () => statusAnswers === 2)
    assert.deepEqual(calls, ['register: Bearer join', 'stream: Bearer cred-1', 'status: Bearer cred-1', 'status: Bearer cred-renewed'])

    refused = 'Bearer cred-renewed'                     // e.g. away longer than the credential lasts
    streams.get('/api/v1/proxies/p1/stream')!.destroy()
    await until('registered again with the join token', () => streams.has('/api/v1/proxies/p2/stream'))
    assert.deepEqual(calls.slice(4), ['register: Bearer cred-renewed', 'register: Bearer join', 'stream: Bearer cred-2'])
    assert.ok(logs.some(l => l.includes('refused this proxy\'s credential')), logs.join('\n'))
    assert.ok(logs.every(l => !l.includes('cred-') && !l.includes('Bearer')), `no credential in the log: ${logs.join('\n')}`)
  } finally {
    client.stop()
    server.closeAllConnections()
    server.close()
  }
})
