import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry, type ProxyRegistration } from './registry.js'

const sidecar = (replica: number): ProxyRegistration => ({
  kind: 'sidecar', workload: 'default/w', gateway: null, replica, pid: 1, labels: {}, adminAddress: '127.0.0.1:1',
  inboundAddress: null, identity: 'spiffe://trellis.local/ns/default/sa/w', incarnation: `i${replica}`,
})

test('a proxy that stops reporting expires after the TTL', () => {
  const r = new Registry(5000, () => {})
  const a = r.register(sidecar(0), 0)
  const b = r.register(sidecar(1), 0)
  for (let t = 500; t <= 5000; t += 500) { r.report(a, true, t); assert.deepEqual(r.sweep(t), []) }
  assert.deepEqual(r.sweep(5500), [b.id], 'b never reported')
  assert.deepEqual(r.list().map(p => p.id), [a.id])
})

test('time the control plane was not running is not held against the proxies', () => {
  const r = new Registry(5000, () => {})
  const a = r.register(sidecar(0), 0)
  for (let t = 500; t <= 2000; t += 500) { r.report(a, true, t); r.sweep(t) }
  // The event loop was blocked (or the machine suspended) for 20 s: a's reports wait in the queue.
  assert.deepEqual(r.sweep(22_000), [], 'no proxy expires for the control plane\'s own stall')
  r.report(a, true, 22_010)                                  // the queued report, processed right after
  for (let t = 22_500; t <= 26_500; t += 500) assert.deepEqual(r.sweep(t), [])
  assert.deepEqual(r.sweep(27_500), [a.id], 'a proxy silent for a TTL of running time still expires')
})
