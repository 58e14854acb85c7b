// x-request-id values: random (v4) UUIDs as `crypto.randomUUID()` makes them, from the same kind of
// batch of secure random bytes, but formatted through one scratch buffer into a single string:
// `randomUUID()` builds its result from ~20 concatenations (~590 bytes of garbage per request).
import { HEX_DIGITS, randomPool, takeRandom } from '../../lib/random-batch.js'

const text = Buffer.allocUnsafeSlow(36)

export function requestId(): string {
  const base = takeRandom(16)
  let j = 0
  for (let i = 0; i < 16; i++) {
    let b = randomPool[base + i]
    if (i === 6) b = (b & 0x0f) | 0x40                   // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80              // variant 10xx
    if (i === 4 || i === 6 || i === 8 || i === 10) text[j++] = 45   // '-'
    text[j++] = HEX_DIGITS[b >> 4]
    text[j++] = HEX_DIGITS[b & 15]
  }
  return text.toString('latin1', 0, 36)
}
