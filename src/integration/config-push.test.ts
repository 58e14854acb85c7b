// Versioned pushes: every proxy acks each version; a version a proxy cannot apply is nacked with
// the reason and the proxy keeps serving its last good config. The admin port shows the config.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { docs, service, workload } from './harness/fixtures.js'
import { eventually, get } from './harness/http.js'
import { freePort } from '../supervisor/free-port.js'

const base = (extraUpstream: string) => docs(
  service('api'), service('other', { selector: 'app: api' }),
  workload('api'), workload('client', { spec: `upstreams: [{ service: api }${extraUpstream}]` }),
)

const mesh = new TestMesh()
let blocker: Server
let blockedPort = 0

before(async () => {
  blockedPort = await freePort()
  blocker = createServer().listen(blockedPort, '127.0.0.1')
  await mesh.start()
  await mesh.apply(base(''))
  await mesh.replica('client', 0)
  await mesh.replica('api', 0)
  await mesh.settled()
})
after(async () => { blocker.close(); await mesh.stop() })

test('every proxy acks the current version', async () => {
  const v = await mesh.apply(base(''))
  await eventually('acks', async () => mesh.cp.registry.list().every(p => p.ackedVersion >= v))
  const proxies = (await get(`${mesh.url}/api/v1/proxies`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })).json().items
  for (const p of proxies) {
    assert.equal(p.connected, true)
    assert.ok(p.configVersion >= v && p.ackedVersion >= v, JSON.stringify(p))
    assert.match(p.identity, /^spiffe:\/\/trellis\.local\/ns\/default\/sa\/(client|api)$/)
  }
})

test('a version the proxy cannot apply is nacked with the reason; the last good config keeps serving', async () => {
  const client = mesh.sidecars[0]
  const apiUrl = `http://127.0.0.1:${client.outboundPort('default/api')}/x`
  const good = client.ackedVersion
  const v = await mesh.apply(base(`, { service: other, localPort: ${blockedPort} }`))
  const rec = await eventually('nack', async () => mesh.cp.registry.list().find(p => p.name === 'default/client/0' && p.nack?.version === v))
  assert.match(rec.nack!.reason, new RegExp(`cannot listen for default/other on 127\\.0\\.0\\.1:${blockedPort}`))
  assert.ok(client.ackedVersion >= good && client.ackedVersion < v)
  assert.equal((await get(apiUrl)).status, 200, 'still serving')
  // Freed and pushed again: the proxy applies the next version.
  blocker.close()
  const v2 = await mesh.apply(base(`, { service: other, localPort: ${blockedPort} }`) + '\n# touched\n')
  await eventually('ack after the port is free', async () => client.ackedVersion >= v2 || (mesh.cp.currentVersion > v && client.ackedVersion > v))
  assert.equal((await get(`http://127.0.0.1:${blockedPort}/y`)).status, 200)
})

test('the admin port serves /ready, /config and /metrics', async () => {
  const client = mesh.sidecars[0]
  const admin = `http://127.0.0.1:${client.adminPort}`
  assert.equal((await get(`${admin}/ready`)).status, 200)
  const config = (await get(`${admin}/config`)).json()
  assert.equal(config.snapshot.workload, 'default/client')
  assert.ok(config.version >= 1)
  assert.ok(config.outbound['default/api'])
  assert.match((await get(`${admin}/metrics`)).body, /# TYPE trellis_requests_total counter/)
})
