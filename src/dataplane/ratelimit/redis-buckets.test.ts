// Shared buckets against a real redis-server, including one that stops answering.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startRedis, type TestRedis } from '../../integration/harness/redis.js'
import { RedisBuckets } from './redis-buckets.js'

let redis: TestRedis | null = null
let buckets: RedisBuckets | null = null
after(async () => { buckets?.close(); redis?.resume(); await redis?.stop() })

/** Resolves with the answer and whether it came before take() returned (no wait at all). */
function take(b: RedisBuckets, key: string): Promise<{ wait: number | null; sync: boolean }> {
  return new Promise(resolve => {
    let returned = false
    b.take(key, 100, 60_000, wait => resolve({ wait, sync: !returned }))
    returned = true
  })
}

async function untilRedisDecides(b: RedisBuckets, key: string): Promise<number> {
  for (;;) {
    const r = await take(b, key)
    if (r.wait !== null) return r.wait
    await new Promise(res => setTimeout(res, 50))
  }
}

test('a Redis that stops answering costs one timeout, then local limits answer at once until it is back', { timeout: 30_000 }, async () => {
  redis = await startRedis()
  const logs: string[] = []
  buckets = new RedisBuckets(redis.url, line => logs.push(line))
  assert.equal(await untilRedisDecides(buckets, 'a'), 0)

  redis.pause()
  const first = await take(buckets, 'a')
  assert.deepEqual(first, { wait: null, sync: false })            // waited out the command timeout
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(await take(buckets, 'a'), { wait: null, sync: true })   // no more waiting per request
  }

  assert.equal(buckets.ready, false)
  redis.resume()
  assert.equal(await untilRedisDecides(buckets, 'a'), 0)
  assert.ok(logs.some(l => l.includes('did not answer')), logs.join('\n'))
  assert.ok(logs.some(l => l.includes('answers again')), logs.join('\n'))
})
