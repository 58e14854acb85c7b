// The request head for an upstream HTTP/1.1 attempt, serialized once into one string so it goes out
// with the first body chunk in a single write. Framing is decided here: a known Content-Length is
// kept, an unknown body length is sent chunked, a bodyless request carries neither.
import type { OutgoingHttpHeaders } from 'node:http'

/** Bytes that would end a header line early (header injection); names and values never carry them. */
const UNSAFE = /[\r\n\0]/

export interface RequestHead {
  readonly text: string
  readonly chunked: boolean
  /** Send the head before any body (Expect: 100-continue waits for it). */
  readonly flushEarly: boolean
}

/**
 * `headers` are already hop-by-hop-free (forwardRequestHeaders); `hostHeader` is used when they
 * carry no Host (a request that came in over HTTP/2 with only :authority).
 */
export function buildRequestHead(method: string, target: string, headers: OutgoingHttpHeaders, hostHeader: string, hasBody: boolean): RequestHead {
  if (UNSAFE.test(method) || UNSAFE.test(target) || target.includes(' ')) throw new TypeError('invalid request line')
  let text = `${method} ${target} HTTP/1.1\r\n`
  let host = false
  let length = false
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    if (UNSAFE.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`)
    if (name === 'host') host = true
    else if (name === 'content-length') length = true
    if (typeof v === 'string') {
      if (UNSAFE.test(v)) throw new TypeError(`invalid value for header ${name}`)
      text += `${name}: ${v}\r\n`
    } else if (typeof v === 'number') {
      text += `${name}: ${v}\r\n`
    } else {
      for (const one of v) {
        if (UNSAFE.test(one)) throw new TypeError(`invalid value for header ${name}`)
        text += `${name}: ${one}\r\n`
      }
    }
  }
  if (!host) text += `host: ${hostHeader}\r\n`
  const chunked = hasBody && !length
  if (chunked) text += 'transfer-encoding: chunked\r\n'
  text += '\r\n'
  return { text, chunked, flushEarly: headers.expect !== undefined }
}

/** `host:port` as a Host header value (IPv6 in brackets). */
export function hostHeaderFor(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
