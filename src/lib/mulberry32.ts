// A tiny seeded PRNG (mulberry32): deterministic randomness for tests and reproducible runs.
// Not cryptographic; 32 bits of state is plenty for picking endpoints.

/** Returns a function producing floats in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
