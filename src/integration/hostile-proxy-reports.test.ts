// What a join token's holder can make the control plane keep: status reports carrying the most
// traffic series a report may hold, with the longest names, again and again. The control plane
// keeps a bounded amount (oldest reports dropped first) and still counts the newest.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { BUCKET_COUNT } from '../telemetry/latency-histogram.js'
import { TestMesh } from './harness/mesh.js'
import { get } from './harness/http.js'
import { docs, service, workload } from './harness/fixtures.js'

/** What the control plane may hold of traffic counts (stats-store.ts). */
const BOUND = 256 * 2 ** 20
const mesh = new TestMesh()
before(async () => {
  await mesh.start()
  await mesh.apply(docs(service('api'), workload('api')))
})
after(() => mesh.stop())

test('status reports full of long series names are held within a bound, the newest counted', async () => {
  const token = mesh.cp.creds.createJoinToken('default/api', 60_000, Date.now())
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const reg = await get(`${mesh.url}/api/v1/proxies`, headers, 'POST', JSON.stringify({ kind: 'sidecar', workload: 'api', replica: 0, adminAddress: '127.0.0.1:1' }))
  assert.equal(reg.status, 201)
  const id = reg.json().id
  const name = (i: number, c: string) => `${c}${i}`.padEnd(512, 'x')
  const series = Array.from({ length: 2000 }, (_, i) => ({
    listener: name(i, 'l'), route: name(i, 'r'), backend: name(i, 'b'), caller: name(i, 'c'),
    classes: [1, 0, 0, 0, 0, 0], buckets: Array(BUCKET_COUNT).fill(0), sumMs: 1,
  }))
  const reportBytes = 2000 * (4 * 512)
  const reports = Math.ceil((BOUND * 1.25) / reportBytes)
  const body = JSON.stringify({ appReady: true, ackedVersion: 0, stats: series })
  for (let n = 0; n < reports; n++) {
    const r = await get(`${mesh.url}/api/v1/proxies/${id}/status`, headers, 'POST', body)
    assert.equal(r.status, 200)
  }
  const held = mesh.cp.stats.after(0)
  const names = held.reduce((n, s) => n + s.series.reduce((m, d) => m + d.listener.length + d.route.length + d.backend.length + (d.caller?.length ?? 0), 0), 0)
  assert.ok(names <= BOUND, `held ${(names / 2 ** 20).toFixed(0)} MiB of names in ${held.length} of ${reports} reports`)
  assert.equal(held.at(-1)?.series.length, 2000, 'the newest report is kept')
})

test('what a proxy reports of itself is kept in bounded sizes: destinations, circuits, a rejection\'s reason, its registration', async () => {
  const token = mesh.cp.creds.createJoinToken('default/api', 60_000, Date.now())
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const long = 'a'.repeat(1 << 20)
  for (const field of ['adminAddress', 'inboundAddress', 'incarnation']) {
    const refused = await get(`${mesh.url}/api/v1/proxies`, headers, 'POST', JSON.stringify({ kind: 'sidecar', workload: 'api', replica: 1, [field]: long }))
    assert.equal(refused.status, 400, field)
    assert.match(refused.json().error, new RegExp(`${field} is longer than 512 characters`))
  }
  const reg = await get(`${mesh.url}/api/v1/proxies`, headers, 'POST', JSON.stringify({ kind: 'sidecar', workload: 'api', replica: 1, adminAddress: '127.0.0.1:1' }))
  assert.equal(reg.status, 201)
  const id = reg.json().id
  const status = await get(`${mesh.url}/api/v1/proxies/${id}/status`, headers, 'POST', JSON.stringify({
    appReady: true, ackedVersion: 0, nack: { version: 1, reason: long },
    observed: { ejected: [long, '127.0.0.1:9', long], unhealthy: Array(4000).fill('u'.repeat(500)), circuits: { [long]: { open: true, active: 1, rejected: 0 } } },
  }))
  assert.equal(status.status, 200)
  const rec = mesh.cp.registry.get(id)!
  const kept = JSON.stringify(rec)
  assert.ok(kept.length < 300 * 1024, `the record holds ${kept.length} characters`)
  assert.ok(rec.nack!.reason.length <= 1024)
  assert.deepEqual(rec.observed!.ejected, ['127.0.0.1:9'])
  mesh.cp.registry.remove(id)
})

test('one Workload\'s token cannot grow the registry without bound: past 1024 proxies registering is refused', async () => {
  const token = mesh.cp.creds.createJoinToken('default/api', 60_000, Date.now())
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const register = (replica: number) => get(`${mesh.url}/api/v1/proxies`, headers, 'POST',
    JSON.stringify({ kind: 'sidecar', workload: 'api', replica, adminAddress: '127.0.0.1:1', inboundAddress: `127.0.0.1:${1000 + replica}`, incarnation: 'x' }))
  const codes = new Map<number, number>()
  for (let batch = 0; batch < 1100; batch += 50) {
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => register(100 + batch + i)))
    for (const r of replies) codes.set(r.status, (codes.get(r.status) ?? 0) + 1)
  }
  const held = mesh.cp.registry.list().filter(p => p.workload === 'default/api').length
  assert.ok(held <= 1024, `${held} proxies registered for one Workload (${JSON.stringify([...codes])})`)
  assert.ok((codes.get(429) ?? 0) > 0)
  const refused = await register(5000)
  assert.equal(refused.status, 429)
  assert.match(refused.json().error, /1024 proxies are registered for Workload default\/api already/)
  // The same replica registering again replaces itself: a restart is never refused.
  assert.equal((await register(100)).status, 201)
  for (const p of mesh.cp.registry.list()) if (p.workload === 'default/api') mesh.cp.registry.remove(p.id)
})

test('reports naming one instance thousands of times keep reading instances quick, each reporter listed once', async () => {
  const token = mesh.cp.creds.createJoinToken('default/api', 60_000, Date.now())
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const ids: string[] = []
  for (let replica = 0; replica < 4; replica++) {
    const reg = await get(`${mesh.url}/api/v1/proxies`, headers, 'POST', JSON.stringify({ kind: 'sidecar', workload: 'api', replica, adminAddress: '127.0.0.1:1' }))
    ids.push(reg.json().id)
    const many = Array(10_000).fill('default/api/0')
    const r = await get(`${mesh.url}/api/v1/proxies/${reg.json().id}/status`, headers, 'POST', JSON.stringify({ appReady: true, observed: { ejected: many, unhealthy: many, circuits: {} } }))
    assert.equal(r.status, 200)
  }
  const started = Date.now()
  const r = await get(`${mesh.url}/api/v1/instances`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })
  const took = Date.now() - started
  assert.equal(r.status, 200)
  assert.ok(took < 1000, `GET /api/v1/instances took ${took} ms`)
  const victim = r.json().items.find((i: { name: string }) => i.name === 'default/api/0')
  assert.deepEqual(victim.ejectedBy, ['default/api/0', 'default/api/1', 'default/api/2', 'default/api/3'])
  for (const id of ids) mesh.cp.registry.remove(id)
})

test('an admin read of a group named like an object property ("constructor") is a 404, not a 500', async () => {
  const r = await get(`${mesh.url}/api/v1/constructor`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })
  assert.equal(r.status, 404)
})
