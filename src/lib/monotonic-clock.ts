// The data plane's clock: monotonic milliseconds, for timeouts, latencies and idle times.
// Not `performance.now()`: the global `performance` loads Node's perf_hooks and the eight modules
// behind it, ~0.5 MB of RSS in every proxy (docs/performance.md); process.hrtime() reads the same
// monotonic clock, at no measurable cost per request.

/** Milliseconds from an arbitrary origin; only differences and comparisons between calls mean anything. */
export function nowMs(): number {
  const t = process.hrtime()
  return t[0] * 1e3 + t[1] / 1e6
}

/** Where nowMs() was when the wall clock read 0: wall-clock time = WALL_ORIGIN_MS + nowMs(). */
const WALL_ORIGIN_MS = Date.now() - nowMs()

/** Wall-clock nanoseconds since the epoch, advancing with the monotonic clock (span timestamps). */
export function wallClockNs(): bigint {
  return BigInt(Math.round((WALL_ORIGIN_MS + nowMs()) * 1e6))
}
