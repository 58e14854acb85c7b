// A proxy that stops reporting is expired after the instance TTL, and its snapshot stream is closed
// with it: the control plane keeps no stream (and no buffered snapshots) for a proxy it forgot.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { docs, service, workload } from './harness/fixtures.js'
import { eventually, get } from './harness/http.js'

const mesh = new TestMesh()
before(async () => { await mesh.start(); await mesh.apply(docs(service('api'), workload('api'))) })
after(() => mesh.stop())

test('an expired proxy\'s stream is closed by the control plane', async () => {
  const token = mesh.joinToken
  const reg = await get(`${mesh.url}/api/v1/proxies`, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, 'POST',
    JSON.stringify({ kind: 'sidecar', workload: 'api', replica: 0, pid: 1, adminAddress: '127.0.0.1:1', inboundAddress: '127.0.0.1:2' }))
  assert.equal(reg.status, 201, reg.body)
  const id = reg.json().id as string
  // A stream opened by hand, then silence: no status reports (the process hangs, or its host is gone).
  const socket = connect(Number(mesh.url.split(':')[2]), '127.0.0.1')
  let received = '', closed = false
  socket.setEncoding('utf8').on('data', (d: string) => { received += d })
  socket.on('close', () => { closed = true })
  socket.on('error', () => {})
  socket.write(`GET /api/v1/proxies/${id}/stream HTTP/1.1\r\nhost: cp\r\nauthorization: Bearer ${token}\r\n\r\n`)
  try {
    await eventually('the stream opened', async () => received.includes('"type":"snapshot"'))
    await eventually('the proxy expired', async () => !mesh.cp.registry.get(id), 15_000)
    await eventually('its stream closed by the control plane', async () => closed, 10_000)
    assert.equal(mesh.cp.pusher.connected(id), false)
  } finally { socket.destroy() }
})
