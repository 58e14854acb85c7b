// Turns a RingHash `hashOn` into a per-request key extractor, built once. The key is what
// RingHash hashes: a header value, a cookie value, or the client address.
import type { IncomingHttpHeaders } from 'node:http'
import type { HashOnIR } from '../../ir/policy.js'

export type HashKeyExtractor = (headers: IncomingHttpHeaders, clientIP: string) => string | null

/**
 * Null when there is nothing to hash on (the balancer then picks at random). An empty header or
 * cookie value counts as absent: hashing it would send every such request to one endpoint.
 */
export function buildHashKeyExtractor(hashOn: HashOnIR | null): HashKeyExtractor | null {
  if (hashOn === null) return null
  if (hashOn.header !== null) {
    const name = hashOn.header.toLowerCase()
    return headers => {
      const v = headers[name]
      return v === undefined || v === '' ? null : typeof v === 'string' ? v : v.join(', ')
    }
  }
  if (hashOn.cookie !== null) {
    const cookie = hashOn.cookie
    return headers => {
      const c = headers.cookie
      const v = c === undefined ? null : findCookie(c, cookie)
      return v === '' ? null : v
    }
  }
  if (hashOn.sourceIP) return (_headers, clientIP) => clientIP
  return null
}

/** The value of the first cookie named `name` in a Cookie header, or null. Allocates only the value. */
export function findCookie(header: string, name: string): string | null {
  let i = 0
  const len = header.length
  while (i < len) {
    while (i < len && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 59)) i++  // ' ' ';'
    let end = header.indexOf(';', i)
    if (end === -1) end = len
    if (end - i > name.length && header.charCodeAt(i + name.length) === 61 /* = */ &&
        header.startsWith(name, i)) {
      let v = header.slice(i + name.length + 1, end).trim()
      if (v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34) v = v.slice(1, -1)
      return v
    }
    i = end + 1
  }
  return null
}
