import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RingBuffer } from './ring-buffer.js'

test('FIFO order across wrap-around; push fails when full', () => {
  const r = new RingBuffer<number>(3)
  assert.ok(r.push(1) && r.push(2) && r.push(3))
  assert.equal(r.push(4), false)
  assert.equal(r.shift(), 1)
  assert.ok(r.push(4))
  assert.deepEqual([r.shift(), r.shift(), r.shift(), r.shift()], [2, 3, 4, undefined])
  assert.ok(r.isEmpty)
})

test('pushEvict keeps the last N', () => {
  const r = new RingBuffer<number>(2)
  assert.equal(r.pushEvict(1), undefined)
  r.pushEvict(2)
  assert.equal(r.pushEvict(3), 1)
  assert.deepEqual([r.at(0), r.at(1), r.at(2)], [2, 3, undefined])
})

test('remove keeps order of the rest; clear empties', () => {
  const r = new RingBuffer<string>(4)
  r.push('x'); r.shift()                // move head so removal crosses the wrap
  for (const s of ['a', 'b', 'c', 'd']) r.push(s)
  assert.ok(r.remove('b'))
  assert.equal(r.remove('z'), false)
  assert.deepEqual([r.shift(), r.shift(), r.shift()], ['a', 'c', 'd'])
  r.push('e'); r.clear()
  assert.equal(r.size, 0)
  assert.equal(r.peek(), undefined)
})

test('capacity must be a positive integer', () => {
  assert.throws(() => new RingBuffer(0))
})
