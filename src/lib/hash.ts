// A fast non-cryptographic 32-bit string hash, for consistent-hash rings.
// It walks UTF-16 code units directly, so hashing a string allocates nothing.

/**
 * MurmurHash3 (x86, 32-bit) mixing over UTF-16 code units, two units per 32-bit block.
 * Equals reference murmur3 only for inputs whose code units happen to pack the same way; it is
 * meant for stable, well-spread ring positions within Trellis, not interoperability.
 */
export function murmur3(s: string, seed = 0): number {
  let h = seed >>> 0
  const len = s.length
  const blocks = len & ~1
  let i = 0
  for (; i < blocks; i += 2) {
    let k = (s.charCodeAt(i) & 0xffff) | ((s.charCodeAt(i + 1) & 0xffff) << 16)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  if (i < len) {
    let k = s.charCodeAt(i) & 0xffff
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
  }
  h ^= len * 2                           // length in bytes, as murmur3 mixes it
  return fmix32(h)
}

/** murmur3's finaliser: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
