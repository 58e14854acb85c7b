// Durations as written in config ('250ms', '5s', '1m', '1h', '1.5s', '1m30s') → milliseconds.
export const DURATION_HINT = 'use a string such as "250ms", "5s" or "1m"'

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/** The duration in whole milliseconds, or null when `value` is not a duration string. */
export function parseDuration(value: unknown): number | null {
  if (typeof value !== 'string' || !WHOLE.test(value)) return null
  let ms = 0
  for (const m of value.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]]
  return Number.isFinite(ms) ? Math.round(ms) : null
}
