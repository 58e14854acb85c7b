// An upstream's localPort changed by an apply: the sidecar moves its outbound listener to the new
// port, and a request in flight on the old one still finishes. A snapshot refused half-way changes
// no listener.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { TestMesh } from './harness/mesh.js'
import { docs, service, workload } from './harness/fixtures.js'
import { eventually, get } from './harness/http.js'
import { freePort } from '../supervisor/free-port.js'
import { createServer } from 'node:net'

const config = (port: number) => docs(service('api'), workload('api'), workload('client', { spec: `upstreams: [{ service: api, localPort: ${port} }]` }))

const mesh = new TestMesh()
before(async () => { await mesh.start() })
after(() => mesh.stop())

test('a changed localPort moves the outbound listener; a request in flight on the old port finishes', async () => {
  const [first, second] = [await freePort(), await freePort()]
  await mesh.apply(config(first))
  const { backend } = await mesh.replica('api', 0, { delayMs: 0 })
  const client = (await mesh.replica('client', 0)).sidecar
  await mesh.settled()
  assert.equal(client.outboundPort('default/api'), first)
  assert.equal((await get(`http://127.0.0.1:${first}/x`)).status, 200)

  backend.delayMs = 1500
  const inFlight = get(`http://127.0.0.1:${first}/slow`)
  await eventually('the slow request reached the app', async () => backend.hits >= 2)
  backend.delayMs = 0
  const v = await mesh.apply(config(second))
  await eventually('the client acked the new port', async () => client.ackedVersion >= v)
  assert.equal(client.outboundPort('default/api'), second)
  assert.equal((await get(`http://127.0.0.1:${second}/y`)).status, 200, 'served on the new port')
  assert.equal((await inFlight).status, 200, 'the request in flight on the old port finished')
  await eventually('the old port is closed', async () => (await get(`http://127.0.0.1:${first}/z`).then(() => false, () => true)), 15_000)
})

test('a refused snapshot that would switch an upstream to tcp leaves its http listener serving', async () => {
  const [port, blockedPort] = [await freePort(), await freePort()]
  const blocker = createServer().listen(blockedPort, '127.0.0.1')
  try {
    const cfg = (apiSpec: string, extra: string) => docs(service('api', { spec: apiSpec }), service('other', { selector: 'app: api' }), workload('api'),
      workload('client2', { spec: `upstreams: [{ service: api, localPort: ${port} }${extra}]` }))
    await mesh.apply(cfg('protocol: http', ''))
    const client = (await mesh.replica('client2', 0)).sidecar
    await mesh.settled()
    assert.equal((await get(`http://127.0.0.1:${port}/x`)).status, 200)
    const v = await mesh.apply(cfg('protocol: tcp', `, { service: other, localPort: ${blockedPort} }`))
    await eventually('nack', async () => mesh.cp.registry.list().find(p => p.name === 'default/client2/0' && p.nack?.version === v))
    assert.ok(client.ackedVersion < v)
    const r = await get(`http://127.0.0.1:${port}/y`).catch(err => ({ status: 0, body: (err as Error).message }))
    assert.equal(r.status, 200, `the last good listener stopped serving: ${r.body}`)
  } finally { blocker.close() }
})
