// A replica whose etcd lease is lost (revoked, or expired while it was cut off from etcd) writes its
// instances again under a new lease, and the other replicas see them come back.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Etcd3 } from 'etcd3'
import { EtcdStore } from '../controlplane/store/etcd-store.js'
import type { StoredInstance } from '../controlplane/store/types.js'
import { startEtcd, type TestEtcd } from './harness/etcd.js'
import { eventually } from './harness/http.js'

const INSTANCES_PREFIX = 'trellis/instances/'
const instance = (replica: number): StoredInstance =>
  ({ id: `default/api/${replica}`, workload: 'default/api', replica, labels: {}, address: `127.0.0.1:${9000 + replica}`, pid: null, proxy: `p${replica}` })

let etcd: TestEtcd
let client: Etcd3

before(async () => {
  etcd = await startEtcd()
  client = new Etcd3({ hosts: `http://${etcd.endpoint}` })
})
after(async () => {
  client?.close()
  await etcd?.stop()
})

test('a replica whose lease is revoked writes its instances again, and the other replica sees them back', async () => {
  const a = EtcdStore.fromUrl(etcd.url), b = EtcdStore.fromUrl(etcd.url)
  try {
    await a.load()
    await b.load()
    let seen: readonly StoredInstance[] = []
    let left = false                      // b saw a's instance go while the lease was revoked
    await b.watch({ config: () => {}, instances: list => {
      seen = list
      if (!list.some(i => i.id === 'default/api/0')) left = true
    } })
    await a.saveInstances([instance(0)])
    await eventually('b sees a\'s instance', async () => seen.some(i => i.id === 'default/api/0'))
    left = false

    const keys = Object.keys(await client.getAll().prefix(INSTANCES_PREFIX).strings())
    assert.equal(keys.length, 1, 'only replica a writes instances')
    const lease = (await client.get(keys[0]).exec()).kvs[0].lease
    await client.leaseClient.leaseRevoke({ ID: lease })
    assert.equal(await client.get(keys[0]).string(), null, 'the revoked lease took a\'s instances with it')

    // a notices at its next keepalive (a third of the 10 s TTL) and writes them again.
    const kv = await eventually('a\'s instances are back in etcd under a new lease', async () => {
      const now = (await client.get(keys[0]).exec()).kvs[0]
      return now && now.lease !== lease ? now : null
    }, 7000)
    assert.deepEqual(JSON.parse(kv.value.toString()), [instance(0)])
    await eventually('b sees a\'s instance again', async () => left && seen.some(i => i.id === 'default/api/0'), 2000)

    // Later changes go on the new lease as usual.
    await a.saveInstances([instance(0), instance(1)])
    await eventually('b sees a\'s new instance', async () => seen.some(i => i.id === 'default/api/1'), 2000)
  } finally { await a.close(); await b.close() }
})

test('a change made while the lease is lost is what comes back, not the list from before', async () => {
  const a = EtcdStore.fromUrl(etcd.url)
  try {
    await a.load()
    await a.saveInstances([instance(0)])
    const key = Object.keys(await client.getAll().prefix(INSTANCES_PREFIX).strings())[0]
    const lease = (await client.get(key).exec()).kvs[0].lease
    await client.leaseClient.leaseRevoke({ ID: lease })
    // The replica has not noticed yet: this write goes to the revoked lease and fails, and the list
    // from before the loss must not be the one written back when the lease is replaced.
    await assert.rejects(a.saveInstances([instance(0), instance(2)]))
    const kv = await eventually('a\'s latest instances are in etcd under a new lease', async () => {
      const now = (await client.get(key).exec()).kvs[0]
      return now && now.lease !== lease ? now : null
    }, 7000)
    assert.deepEqual(JSON.parse(kv.value.toString()), [instance(0), instance(2)])
  } finally { await a.close() }
})
