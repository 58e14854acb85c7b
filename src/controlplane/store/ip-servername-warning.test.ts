import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dialsByIp, dropIpServernameWarning } from './ip-servername-warning.js'

test('dialsByIp: IPv4 and bracketed IPv6 hosts count, DNS names do not', () => {
  assert.equal(dialsByIp(['127.0.0.1:2379']), true)
  assert.equal(dialsByIp(['etcd-0.internal:2379', '[::1]:2379']), true)
  assert.equal(dialsByIp(['etcd-0.internal:2379', 'localhost:2379']), false)
})

test('after dropIpServernameWarning, DEP0123 is dropped and every other warning still comes', async () => {
  const seen: string[] = []
  const onWarning = (w: Error & { code?: string }) => { seen.push(w.code ?? w.name) }
  process.on('warning', onWarning)
  try {
    dropIpServernameWarning()
    dropIpServernameWarning()                     // twice changes nothing
    process.emitWarning('ip servername', 'DeprecationWarning', 'DEP0123')
    process.emitWarning('ip servername', { type: 'DeprecationWarning', code: 'DEP0123' })
    process.emitWarning('another one', 'DeprecationWarning', 'DEP0999')
    process.emitWarning('plain')
    await new Promise(resolve => setImmediate(resolve))   // warnings are emitted on the next tick
    assert.deepEqual(seen, ['DEP0999', 'Warning'])
  } finally { process.off('warning', onWarning) }
})
