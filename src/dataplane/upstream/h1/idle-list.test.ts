import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EXPIRE_BATCH, IdleList, type IdleEntry } from './idle-list.js'
import { nowMs } from '../../../lib/monotonic-clock.js'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function entries(list: IdleList, n: number, idleUntil: number, log: number[]): IdleEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const e: IdleEntry = { older: null, newer: null, idleUntil, evict() { list.remove(e); log.push(i) } }
    return e
  })
}

test('idle list: connections due together close a batch per turn, oldest first, and all of them in the end', async () => {
  const list = new IdleList(1024)
  const log: number[] = []
  let afterFirstCallback = -1
  const due = entries(list, 3 * EXPIRE_BATCH + 2, nowMs() + 20, log)
  const first = due[0].evict
  due[0].evict = () => { first.call(due[0]); queueMicrotask(() => { afterFirstCallback = log.length }) }
  const later = entries(list, 2, nowMs() + 60_000, [])
  for (const e of due) list.add(e)
  for (const e of later) list.add(e)
  for (const deadline = Date.now() + 5000; log.length < due.length && Date.now() < deadline;) await sleep(10)
  assert.equal(afterFirstCallback, EXPIRE_BATCH)                  // the first timer callback stopped at the batch
  assert.deepEqual(log, due.map((_, i) => i))                     // every due one, in the order they went idle
  assert.equal(list.size, 2)                                      // the ones not due stay
  for (const e of later) list.remove(e)
})
