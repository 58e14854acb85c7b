// node:http2 costs about 2 MB in every process that loads it. Proxies whose Services never speak
// HTTP/2 need it only when an h2c client shows up, so it is loaded on first use.
import type * as Http2 from 'node:http2'

let loaded: typeof Http2 | null = null

export function http2(): typeof Http2 {
  return (loaded ??= process.getBuiltinModule('node:http2'))
}
