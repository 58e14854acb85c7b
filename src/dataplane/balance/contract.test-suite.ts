// The contract every balancer honours, run against each one from contract.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import type { Balancer } from './balancer.js'
import { EndpointStats, type Pickable } from './endpoint-stats.js'

export interface TestEndpoint extends Pickable { readonly key: string; readonly stats: EndpointStats }

export function makeEndpoints(n: number, prefix = '10.0.0.'): TestEndpoint[] {
  return Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i + 1}:8080`, stats: new EndpointStats() }))
}

export type MakeBalancer = (endpoints: readonly TestEndpoint[], random: () => number) => Balancer<TestEndpoint>

const HASH_KEYS: readonly (string | null)[] = [null, 'user-1', 'user-2', 'a', '']

export function runBalancerContract(name: string, make: MakeBalancer): void {
  test(`${name}: empty list picks null`, () => {
    const b = make([], mulberry32(1))
    for (const k of HASH_KEYS) assert.equal(b.pick(k, null), null)
  })

  test(`${name}: a single endpoint is always picked, even when it is to be avoided`, () => {
    const [only] = makeEndpoints(1)
    const b = make([only], mulberry32(2))
    for (const k of HASH_KEYS) {
      assert.equal(b.pick(k, null), only)
      assert.equal(b.pick(k, only), only)
    }
  })

  test(`${name}: never picks an endpoint outside the list`, () => {
    for (const n of [2, 3, 7]) {
      const eps = makeEndpoints(n)
      const set = new Set(eps)
      const b = make(eps, mulberry32(n))
      for (let i = 0; i < 500; i++) {
        const k = HASH_KEYS[i % HASH_KEYS.length] ?? null
        const e = b.pick(k === null ? null : `${k}${i}`, null)
        assert.ok(e !== null && set.has(e), `n=${n} i=${i}`)
      }
    }
  })

  test(`${name}: avoid is honoured whenever another endpoint exists`, () => {
    for (const n of [2, 3, 7]) {
      const eps = makeEndpoints(n)
      const b = make(eps, mulberry32(100 + n))
      for (let i = 0; i < 500; i++) {
        const avoid = eps[i % n]
        const k = i % 3 === 0 ? null : `key-${i}`
        const e = b.pick(k, avoid)
        assert.ok(e !== null && e !== avoid && eps.includes(e), `n=${n} i=${i}`)
      }
    }
  })

  test(`${name}: avoiding an endpoint not in the list changes nothing`, () => {
    const eps = makeEndpoints(4)
    const [stranger] = makeEndpoints(1, '192.168.0.')
    const b = make(eps, mulberry32(7))
    for (let i = 0; i < 100; i++) assert.ok(eps.includes(b.pick(`k${i}`, stranger)!))
  })
}
