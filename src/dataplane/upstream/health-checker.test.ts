// Active health checks against targets that misbehave: each check must end within its timeout and
// leave no socket behind, whatever the target does.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { probe } from './health-checker.js'
import type { HealthCheckIR } from '../../ir/index.js'

const check: HealthCheckIR = { path: '/healthz', intervalMs: 1000, timeoutMs: 300, unhealthyThreshold: 1, healthyThreshold: 1 }
const servers: Server[] = []
const sockets = new Set<Socket>()
after(() => { for (const s of sockets) s.destroy(); for (const s of servers) s.close() })

/** A raw TCP target; `onRequest` writes what it likes once the request head has arrived. */
async function target(onRequest: (s: Socket) => void): Promise<{ port: number; closed: Promise<void> }> {
  let closed!: () => void
  const closedP = new Promise<void>(r => { closed = r })
  const server = createServer(s => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => closed())
    let head = ''
    s.on('data', d => { if (head.includes('\r\n\r\n')) return; head += d.toString('latin1'); if (head.includes('\r\n\r\n')) onRequest(s) })
  })
  servers.push(server)
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, closed: closedP }
}

test('a target trickling its response head fails the check at the timeout', { timeout: 20_000 }, async () => {
  const { port } = await target(s => {
    s.write('HTTP/1.1 200 OK\r\nx-slow: ')
    const t = setInterval(() => { if (s.destroyed) clearInterval(t); else s.write('a') }, 50)
    s.on('close', () => clearInterval(t))
  })
  assert.equal(await probe({ host: '127.0.0.1', port }, check), false)
})

test('an endless body passes on its status and the connection is closed', { timeout: 20_000 }, async () => {
  const { port, closed } = await target(s => {
    s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n')
    const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`
    const pump = () => { while (!s.destroyed && s.write(chunk)); }
    s.on('drain', pump)
    pump()
  })
  assert.equal(await probe({ host: '127.0.0.1', port }, check), true)
  await closed
})

test('a target that never answers fails the check', { timeout: 20_000 }, async () => {
  const { port, closed } = await target(() => {})
  assert.equal(await probe({ host: '127.0.0.1', port }, check), false)
  await closed
})
