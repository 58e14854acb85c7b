// Exponential backoff with full jitter (AWS architecture blog): sleep = random × min(max, base × 2^n).
// Pure: the caller passes the random number, so tests are deterministic.

/**
 * Delay before retry number `retry` (0 = the first retry), in ms.
 * `random01` is a number in [0, 1). Never exceeds `maxMs`; `maxMs <= 0` means no cap.
 */
export function backoffDelayMs(retry: number, baseMs: number, maxMs: number, random01: number): number {
  if (baseMs <= 0) return 0
  // 2^31 is far past any sane cap; clamping the exponent keeps the result finite.
  const exp = retry < 0 ? 0 : retry > 31 ? 31 : retry
  let ceiling = baseMs * 2 ** exp
  if (maxMs > 0 && ceiling > maxMs) ceiling = maxMs
  return Math.floor(random01 * ceiling)
}
