// RingHash: ketama-style consistent hashing. Each endpoint owns VIRTUAL_NODES points on a 32-bit
// ring, placed by hashing its key; a request key goes to the first point at or after its hash.
// Point positions depend only on the endpoint's own key, so adding or removing one endpoint of N
// moves only ~1/N of keys, and only to/from that endpoint. The ring is the one thing built per
// rebuild that costs real work (N × VIRTUAL_NODES hashes and a sort); picks are a binary search.
import { murmur3 } from '../../lib/hash.js'
import { randomAvoiding, type Balancer, type BalancerDeps } from './balancer.js'
import type { Pickable } from './endpoint-stats.js'

/** Points per endpoint: ketama's 160 keeps the load spread within a few percent. */
export const VIRTUAL_NODES = 160

export class RingHashBalancer<T extends Pickable> implements Balancer<T> {
  private readonly endpoints: readonly T[]
  private readonly random: () => number
  /** Sorted point positions, and the endpoint index owning each point. */
  private readonly points: Uint32Array
  private readonly owners: Uint32Array

  constructor(endpoints: readonly T[], deps: BalancerDeps, virtualNodes: number = VIRTUAL_NODES) {
    this.endpoints = endpoints
    this.random = deps.random
    const total = endpoints.length * virtualNodes
    const hashes = new Uint32Array(total)
    const order = new Array<number>(total)
    for (let e = 0, p = 0; e < endpoints.length; e++) {
      const key = endpoints[e].key
      for (let v = 0; v < virtualNodes; v++, p++) {
        hashes[p] = murmur3(`${key}#${v}`)
        order[p] = p
      }
    }
    // Ties (rare) break by endpoint key, then point number, so the ring is independent of the
    // order endpoints arrive in.
    order.sort((x, y) => hashes[x] - hashes[y] ||
      compareKeys(endpoints[(x / virtualNodes) | 0].key, endpoints[(y / virtualNodes) | 0].key) ||
      (x % virtualNodes) - (y % virtualNodes))
    this.points = new Uint32Array(total)
    this.owners = new Uint32Array(total)
    for (let i = 0; i < total; i++) {
      this.points[i] = hashes[order[i]]
      this.owners[i] = (order[i] / virtualNodes) | 0
    }
  }

  pick(hashKey: string | null, avoid: T | null): T | null {
    const endpoints = this.endpoints
    if (endpoints.length === 0) return null
    if (hashKey === null) return randomAvoiding(endpoints, avoid, this.random)
    const points = this.points, len = points.length
    const h = murmur3(hashKey)
    let lo = 0, hi = len                    // first point >= h, wrapping to 0 past the end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (points[mid] < h) lo = mid + 1
      else hi = mid
    }
    let i = lo === len ? 0 : lo
    let e = endpoints[this.owners[i]]
    if (e === avoid && endpoints.length > 1) {
      // Walk clockwise to the next other endpoint: the same one a ring without `avoid` would give.
      for (let step = 1; step < len; step++) {
        i = i + 1 === len ? 0 : i + 1
        const next = endpoints[this.owners[i]]
        if (next !== avoid) { e = next; break }
      }
    }
    return e
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
