import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { makeEndpoints, type TestEndpoint } from './contract.test-suite.js'
import { RingHashBalancer } from './ring-hash.js'

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)
const ring = (eps: readonly TestEndpoint[]) => new RingHashBalancer(eps, { random: mulberry32(1), now: () => 0 })
const assignment = (eps: readonly TestEndpoint[]) => {
  const b = ring(eps)
  return KEYS.map(k => b.pick(k, null)!.key)
}

test('ring-hash: same key, same endpoint; independent of endpoint order and rebuilds', () => {
  const eps = makeEndpoints(10)
  const a = assignment(eps)
  assert.deepEqual(assignment([...eps].reverse()), a)
  assert.deepEqual(assignment(makeEndpoints(10)), a)   // fresh objects, same addresses
})

test('ring-hash: load is spread within ±35% of fair across 10 endpoints', () => {
  const counts = new Map<string, number>()
  for (const k of assignment(makeEndpoints(10))) counts.set(k, (counts.get(k) ?? 0) + 1)
  assert.equal(counts.size, 10)
  for (const [k, c] of counts) assert.ok(c > 650 && c < 1350, `${k}: ${c}`)
})

test('ring-hash: adding one endpoint to 10 moves ~1/11 of keys, all to the new endpoint', () => {
  const eps = makeEndpoints(11)
  const before = assignment(eps.slice(0, 10))
  const after = assignment(eps)
  let moved = 0
  for (let i = 0; i < KEYS.length; i++) {
    if (before[i] === after[i]) continue
    moved++
    assert.equal(after[i], eps[10].key, `key ${KEYS[i]} moved between old endpoints`)
  }
  assert.ok(moved > 0 && moved <= KEYS.length * 0.15, `moved ${moved}`)
})

test('ring-hash: removing one endpoint moves only its keys', () => {
  const eps = makeEndpoints(10)
  const before = assignment(eps)
  const removed = eps[3].key
  const after = assignment(eps.filter((_, i) => i !== 3))
  for (let i = 0; i < KEYS.length; i++) {
    if (before[i] === removed) assert.notEqual(after[i], removed)
    else assert.equal(after[i], before[i], `key ${KEYS[i]} moved`)
  }
})

test('ring-hash: avoid gives the endpoint the ring would give without it', () => {
  const eps = makeEndpoints(6)
  const full = ring(eps)
  for (const k of KEYS.slice(0, 500)) {
    const first = full.pick(k, null)!
    const without = ring(eps.filter(e => e !== first)).pick(k, null)
    assert.equal(full.pick(k, first), without, k)
  }
})

test('ring-hash: null key picks at random over all endpoints', () => {
  const eps = makeEndpoints(5)
  const b = ring(eps)
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) seen.add(b.pick(null, null)!.key)
  assert.equal(seen.size, 5)
})
