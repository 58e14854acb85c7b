import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { makeEndpoints } from './contract.test-suite.js'
import { RoundRobinBalancer } from './round-robin.js'

const deps = (seed: number) => ({ random: mulberry32(seed), now: () => 0 })

test('round-robin: exactly k picks each over k*N picks, whatever the start offset', () => {
  for (const n of [1, 2, 5, 8]) {
    for (const seed of [1, 2, 3]) {
      const eps = makeEndpoints(n)
      const b = new RoundRobinBalancer(eps, deps(seed))
      const counts = new Map<string, number>()
      for (let i = 0; i < 4 * n; i++) {
        const e = b.pick(null, null)!
        counts.set(e.key, (counts.get(e.key) ?? 0) + 1)
      }
      for (const e of eps) assert.equal(counts.get(e.key), 4, `n=${n} seed=${seed} ${e.key}`)
    }
  }
})

test('round-robin: consecutive picks cycle in list order', () => {
  const eps = makeEndpoints(3)
  const b = new RoundRobinBalancer(eps, deps(9))
  const first = eps.indexOf(b.pick(null, null)!)
  for (let i = 1; i < 9; i++) assert.equal(b.pick(null, null), eps[(first + i) % 3])
})

test('round-robin: the start offset is randomised', () => {
  const eps = makeEndpoints(8)
  const firsts = new Set<string>()
  for (let seed = 0; seed < 20; seed++) firsts.add(new RoundRobinBalancer(eps, deps(seed)).pick(null, null)!.key)
  assert.ok(firsts.size > 3, `only ${firsts.size} distinct starts`)
})

test('round-robin: avoiding skips to the next endpoint', () => {
  const eps = makeEndpoints(3)
  const b = new RoundRobinBalancer(eps, deps(4))
  const first = eps.indexOf(b.pick(null, null)!)
  const next = eps[(first + 1) % 3]
  assert.equal(b.pick(null, next), eps[(first + 2) % 3])
})
