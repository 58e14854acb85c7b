import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { freePort } from './free-port.js'

test('ports handed out are distinct, bindable, and below the ephemeral range', async () => {
  const ports = await Promise.all(Array.from({ length: 300 }, () => freePort()))
  assert.equal(new Set(ports).size, ports.length)
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
  for (const p of ports) assert.ok(p >= 10_000 && p < low, `${p}`)
})
