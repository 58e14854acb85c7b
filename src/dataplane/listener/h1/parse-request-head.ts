// The head of a client's HTTP/1.1 request, for the listener's fast path. It accepts only the plain,
// common shape: a known method, an origin-form target of visible ASCII, `HTTP/1.1`, one Host, at
// most one Content-Length of digits or a lone `Transfer-Encoding: chunked`, no Upgrade and no
// Expect, no tab. Anything else returns null and the connection is handed to Node's own HTTP server, which
// answers it exactly as before (400, 431, upgrades, 100-continue, HTTP/1.0): the fast path never
// has to guess at framing, and a request it does not understand cannot slip past it.
import type { IncomingHttpHeaders } from 'node:http'
import { equalsLower } from '../../../lib/ascii-case.js'
import { parseFieldLines } from '../../http1/field-lines.js'

export const enum BodyKind { None, Fixed, Chunked }

export interface RequestHead {
  readonly method: string
  readonly url: string
  readonly rawHeaders: string[]
  readonly headers: IncomingHttpHeaders
  readonly body: BodyKind
  readonly length: number                     // Fixed: the Content-Length
  readonly keepAlive: boolean
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']

/** The head in `b[0..end)` (up to and including its blank line), or null: not for the fast path. */
export function parseRequestHead(b: Buffer, end: number): RequestHead | null {
  const eol = b.indexOf(13)
  if (eol < 0 || eol >= end) return null
  // A tab anywhere in the head: Node's parser refuses some placements (after a Content-Length's
  // digits, after `chunked`) that a trimming reader would take, so such heads are Node's to judge.
  const tab = b.indexOf(9)
  if (tab >= 0 && tab < end) return null
  const sp1 = b.indexOf(32)
  if (sp1 < 3 || sp1 > 7) return null
  const method = knownMethod(b, sp1)
  if (method === null) return null
  // "SP target SP HTTP/1.1" ending at eol
  const sp2 = eol - 9
  if (sp2 <= sp1 + 1 || b[sp2] !== 32 || !isHttp11(b, sp2 + 1)) return null
  if (b[sp1 + 1] !== 47) return null                              // origin-form only ('/…')
  for (let i = sp1 + 1; i < sp2; i++) { const c = b[i]; if (c < 33 || c > 126) return null }
  const raw = parseFieldLines(b, eol + 2, end - 2, [])
  if (raw === null) return null
  const headers: IncomingHttpHeaders = {}
  let body = BodyKind.None
  let length = 0
  let keepAlive = true
  let hosts = 0
  for (let k = 0; k < raw.length; k += 2) {
    const name = raw[k]
    const value = raw[k + 1]
    const lower = lowerName(name)
    switch (lower) {
      case 'host': hosts++; break
      case 'content-length':
        if (body !== BodyKind.None || value.length === 0 || value.length > 15 || !allDigits(value)) return null
        body = BodyKind.Fixed
        length = Number(value)
        break
      case 'transfer-encoding':
        if (body !== BodyKind.None || !equalsLower(value, 'chunked')) return null
        body = BodyKind.Chunked
        break
      case 'connection':
        if (equalsLower(value, 'keep-alive')) break
        if (/upgrade/i.test(value)) return null
        if (/close/i.test(value)) keepAlive = false
        break
      case 'upgrade': case 'expect': case 'http2-settings': return null
    }
    addHeader(headers, lower, value)
  }
  if (hosts !== 1) return null
  if (body === BodyKind.Fixed && length === 0) body = BodyKind.None
  return { method, url: b.toString('latin1', sp1 + 1, sp2), rawHeaders: raw, headers, body, length, keepAlive }
}

function knownMethod(b: Buffer, len: number): string | null {
  for (let m = 0; m < METHODS.length; m++) {
    const name = METHODS[m]
    if (name.length !== len) continue
    let i = 0
    while (i < len && b[i] === name.charCodeAt(i)) i++
    if (i === len) return name
  }
  return null
}

function isHttp11(b: Buffer, at: number): boolean {
  return b[at] === 72 && b[at + 1] === 84 && b[at + 2] === 84 && b[at + 3] === 80 && b[at + 4] === 47 &&
    b[at + 5] === 49 && b[at + 6] === 46 && b[at + 7] === 49
}

function allDigits(v: string): boolean {
  for (let i = 0; i < v.length; i++) { const c = v.charCodeAt(i); if (c < 48 || c > 57) return false }
  return true
}

/** Header names arrive mostly lowercase already (curl, Node, Go clients); lowercase only when needed. */
function lowerName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 65 && c <= 90) return name.toLowerCase()
  }
  return name
}

/** Fields Node keeps the first of (a second Host or Content-Type is dropped, never joined). */
const FIRST_WINS = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
])

/** Adds a field to `req.headers` the way Node's IncomingMessage does, so both paths read requests alike. */
export function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  if (name === 'set-cookie') {
    const prev = headers['set-cookie']
    if (prev !== undefined) prev.push(value)
    else headers['set-cookie'] = [value]
  } else if (FIRST_WINS.has(name)) {
    if (headers[name] === undefined) headers[name] = value
  } else {
    const prev = headers[name]
    headers[name] = typeof prev === 'string' ? `${prev}${name === 'cookie' ? '; ' : ', '}${value}` : value
  }
}
