// Secure random bytes for per-request ids (request ids, trace and span ids), drawn from one batch
// refilled with randomFillSync: one call into the crypto library per few hundred ids instead of
// one per id, and no Buffer per id. Also the hex digits the formatters write with.
import { randomFillSync } from 'node:crypto'

const BATCH = 4096
export const randomPool = Buffer.allocUnsafeSlow(BATCH)
let used = BATCH

/** Offset in `randomPool` of `n` (≤ 4096) fresh random bytes, valid until the next call. */
export function takeRandom(n: number): number {
  if (used + n > BATCH) { randomFillSync(randomPool); used = 0 }
  const at = used
  used += n
  return at
}

export const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1')
