import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { DEFAULT_TRAFFIC_POLICY } from '../../ir/index.js'
import type { ClusterIR } from '../../snapshot/types.js'
import { Cluster } from './cluster.js'

const ir = (ports: number[]): ClusterIR => ({
  service: 'default/s', protocol: 'http', port: 80, policy: DEFAULT_TRAFFIC_POLICY, healthCheck: null,
  endpoints: ports.map(p => ({ address: `127.0.0.1:${p}`, instance: null, labels: {}, mesh: false, identity: null })),
})

test('cluster: connections opened stay counted after their endpoint leaves discovery', async () => {
  const server = createServer(s => s.on('error', () => {}))
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const cluster = new Cluster('default/s', ir([port, port + 1]))
  try {
    const a = cluster.endpoints[0].h1.acquire()
    const b = cluster.endpoints[0].h1.acquire()
    assert.equal(cluster.connectionsOpened, 2)
    a.destroy(); b.destroy()
    cluster.update(ir([port + 1]))                     // the first endpoint is retired
    assert.equal(cluster.endpoints.length, 1)
    assert.equal(cluster.connectionsOpened, 2)         // a counter never goes down
    assert.equal(cluster.connectionsIdle, 0)
  } finally { cluster.close(); server.close() }
})

test('cluster: switching outlier detection off brings back what it ejected at once', () => {
  const withOutliers = (ports: number[]): ClusterIR => ({
    ...ir(ports), policy: { ...DEFAULT_TRAFFIC_POLICY, outlierDetection: { consecutiveErrors: 1, intervalMs: 1000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 } },
  })
  const cluster = new Cluster('default/s', withOutliers([1, 2]))
  try {
    const [a, b] = cluster.endpoints
    cluster.record(a, false)
    assert.ok(a.ejectedUntil > 0, 'ejected for a minute')
    for (let i = 0; i < 20; i++) assert.equal(cluster.pick(null, null), b)
    cluster.update(ir([1, 2]))                          // the policy no longer has outlierDetection
    assert.equal(a.ejectedUntil, 0)
    assert.equal(a.timesEjected, 0)
    const picked = new Set<unknown>()
    for (let i = 0; i < 20; i++) picked.add(cluster.pick(null, null))
    assert.equal(picked.size, 2, 'both endpoints take requests again')
  } finally {
    cluster.close()
  }
})
