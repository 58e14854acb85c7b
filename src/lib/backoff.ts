// Exponential backoff with full jitter (AWS architecture blog): sleep = random × min(max, base × 2^n),
// and jittered periods for repeating work. Pure: the caller passes the random number, so tests are
// deterministic.

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

/**
 * A period of `periodMs` ± `spread` (0.2 = ±20 %), for work many processes repeat: proxies started
 * together would otherwise report in the same millisecond every period, a burst on the control plane
 * and on the CPU they share with the requests they serve. The mean stays `periodMs`.
 */
export function jitteredPeriodMs(periodMs: number, spread: number, random01: number): number {
  return Math.max(1, Math.round(periodMs * (1 - spread + 2 * spread * random01)))
}
