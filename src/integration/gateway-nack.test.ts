// A gateway snapshot refused half-way (a port it cannot bind) leaves every listener of the last
// good snapshot serving, including one the refused snapshot would have switched to another protocol.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { docs, httpRoute, service, workload } from './harness/fixtures.js'
import { eventually, get } from './harness/http.js'
import { freePort } from '../supervisor/free-port.js'

const GATEWAY_API = 'apiVersion: gateway.networking.k8s.io/v1'
const edge = (listeners: string) => `${GATEWAY_API}\nkind: Gateway\nmetadata: { name: edge }\nspec: { listeners: [${listeners}] }\n`

const mesh = new TestMesh()
let blocker: Server
let blockedPort = 0, mainPort = 0

before(async () => {
  blockedPort = await freePort(); mainPort = await freePort()
  blocker = createServer().listen(blockedPort, '127.0.0.1')
  await mesh.start()
})
after(async () => { blocker.close(); await mesh.stop() })

test('a refused snapshot that would switch a port to another protocol leaves that port serving as before', async () => {
  const base = docs(service('api'), workload('api'), httpRoute('web', ['edge'], 'api'))
  await mesh.apply(docs(base, edge(`{ name: a-main, port: ${mainPort}, protocol: HTTP }`)))
  await mesh.replica('api', 0)
  const gw = await mesh.gateway('edge')
  await mesh.settled()
  assert.equal((await get(`http://127.0.0.1:${mainPort}/x`)).status, 200)
  const good = gw.ackedVersion

  const v = await mesh.apply(docs(base, edge(`{ name: a-main, port: ${mainPort}, protocol: TCP }, { name: b-extra, port: ${blockedPort}, protocol: HTTP }`)))
  const rec = await eventually('nack', async () => mesh.cp.registry.list().find(p => p.kind === 'gateway' && p.nack?.version === v))
  assert.match(rec.nack!.reason, new RegExp(`127\\.0\\.0\\.1:${blockedPort}`))
  assert.equal(gw.ackedVersion, good)
  const r = await get(`http://127.0.0.1:${mainPort}/x`).catch(err => ({ status: 0, body: (err as Error).message }))
  assert.equal(r.status, 200, `the last good listener stopped serving: ${r.body}`)
})
