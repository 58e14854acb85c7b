// Upper bounds of whole-number fields that neither the Gateway API nor a protocol bounds. Each is
// far above any real setting, yet low enough that a slip (an extra digit, 1e300) is an error at
// validation, not a limit that silently never applies. docs/configuration.md lists them.

/** Connections, requests in flight or waiting, retries per second, mirror fractions. */
export const MAX_COUNT = 1_000_000
/** Requests a rate limit allows per window (also its burst). */
export const MAX_RATE_LIMIT_REQUESTS = 1_000_000_000
/** Errors in a row before an ejection, as the health-check thresholds. */
export const MAX_CONSECUTIVE_ERRORS = 1000
/** Request headers a client may send. */
export const MAX_HEADER_COUNT = 10_000
/** Bytes of the request head or the URL: 1 MiB, all of it held in memory while it is parsed. */
export const MAX_HEAD_BYTES = 1024 * 1024
/** Bytes of a streamed body or of a log file: 1 TiB. */
export const MAX_STREAM_BYTES = 1024 ** 4
