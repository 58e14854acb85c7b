import { test } from 'node:test'
import assert from 'node:assert/strict'
import { freePort } from './free-port.js'

test('ports handed out are distinct even when the OS would reuse a released one', async () => {
  const ports = await Promise.all(Array.from({ length: 300 }, () => freePort()))
  assert.equal(new Set(ports).size, ports.length)
})
