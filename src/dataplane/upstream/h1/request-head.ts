// The request head for an upstream HTTP/1.1 attempt, serialized once into one buffer so it goes out
// with the first body chunk in a single write. Framing is decided here: a known Content-Length is
// kept, an unknown body length is sent chunked, a bodyless request carries neither.
// The head is measured first and written into one pooled Buffer slice: joining it as a string made
// a new string per piece (~700 bytes of garbage per request); header text is latin1 either way.
import type { OutgoingHttpHeaders } from 'node:http'

/** Bytes that would end a header line early (header injection); names and values never carry them. */
const UNSAFE = /[\r\n\0]/

export interface RequestHead {
  readonly bytes: Buffer
  readonly chunked: boolean
  /** Send the head before any body (Expect: 100-continue waits for it). */
  readonly flushEarly: boolean
}

const HOST = 'host: '
const CHUNKED = 'transfer-encoding: chunked\r\n'

/**
 * `headers` are already hop-by-hop-free (forwardRequestHeaders); `hostHeader` is used when they
 * carry no Host (a request that came in over HTTP/2 with only :authority).
 */
export function buildRequestHead(method: string, target: string, headers: OutgoingHttpHeaders, hostHeader: string, hasBody: boolean): RequestHead {
  if (UNSAFE.test(method) || UNSAFE.test(target) || target.includes(' ')) throw new TypeError('invalid request line')
  let size = method.length + target.length + 14          // "M T HTTP/1.1\r\n" and the final "\r\n"
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
      size += name.length + v.length + 4
    } else if (typeof v === 'number') {
      size += name.length + String(v).length + 4
    } else {
      for (const one of v) {
        if (UNSAFE.test(one)) throw new TypeError(`invalid value for header ${name}`)
        size += name.length + one.length + 4
      }
    }
  }
  if (!host) size += HOST.length + hostHeader.length + 2
  const chunked = hasBody && !length
  if (chunked) size += CHUNKED.length
  const b = Buffer.allocUnsafe(size)
  let o = b.write(method, 0, 'latin1')
  b[o++] = 32
  o += b.write(target, o, 'latin1')
  o += b.write(' HTTP/1.1\r\n', o, 'latin1')
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    if (typeof v === 'string') o = line(b, o, name, v)
    else if (typeof v === 'number') o = line(b, o, name, String(v))
    else for (const one of v) o = line(b, o, name, one)
  }
  if (!host) o = line(b, o, 'host', hostHeader)
  if (chunked) o += b.write(CHUNKED, o, 'latin1')
  b[o++] = 13
  b[o] = 10
  return { bytes: b, chunked, flushEarly: headers.expect !== undefined }
}

function line(b: Buffer, at: number, name: string, value: string): number {
  let o = at + b.write(name, at, 'latin1')
  b[o++] = 58
  b[o++] = 32
  o += b.write(value, o, 'latin1')
  b[o++] = 13
  b[o++] = 10
  return o
}

/** `host:port` as a Host header value (IPv6 in brackets). */
export function hostHeaderFor(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
