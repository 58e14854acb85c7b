import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type Socket } from 'node:net'
import { TcpListener } from './tcp-listener.js'

test('close waits for open tunnels up to the drain time, then destroys them, though the listener never listened itself', async () => {
  const listener = new TcpListener({ name: 'test', sniff: false })
  const [a, b] = await socketPair()
  ;(listener as unknown as { sockets: Set<Socket> }).sockets.add(b)   // a tunnel in progress
  b.once('close', () => (listener as unknown as { sockets: Set<Socket> }).sockets.delete(b))
  const started = Date.now()
  await listener.close(100)
  assert.ok(b.destroyed, 'the tunnel was cut')
  assert.ok(Date.now() - started >= 90, 'after the drain time')
  a.destroy()
})

function socketPair(): Promise<[Socket, Socket]> {
  return new Promise(resolve => {
    const srv = createServer(s => { srv.close(); resolve([c, s]) })
    let c: Socket
    srv.listen(0, '127.0.0.1', () => { c = connect({ port: (srv.address() as { port: number }).port, host: '127.0.0.1' }) })
  })
}
