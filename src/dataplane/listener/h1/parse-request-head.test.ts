// The fast path's request-head parser: the plain shapes it takes (read as Node's IncomingMessage
// would read them), and null, i.e. "hand the connection to Node's server", for everything unusual.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BodyKind, parseRequestHead } from './parse-request-head.js'

/** Parses `text` as a whole head (it must end with its blank line). */
function parse(text: string) {
  const b = Buffer.from(text, 'latin1')
  return parseRequestHead(b, b.length)
}

const req = (line: string, ...fields: string[]) => `${line}\r\n${fields.map(f => `${f}\r\n`).join('')}\r\n`

test('a plain GET: method, target, headers by lowercase name, raw headers as sent', () => {
  const h = parse(req('GET /a/b?x=1&y=%20 HTTP/1.1', 'Host: example.com', 'X-Trace-ID:  abc  ', 'accept: */*', 'X-Empty:'))
  assert.ok(h)
  assert.equal(h.method, 'GET')
  assert.equal(h.url, '/a/b?x=1&y=%20')
  assert.deepEqual(h.rawHeaders, ['Host', 'example.com', 'X-Trace-ID', 'abc', 'accept', '*/*', 'X-Empty', ''])
  assert.deepEqual({ ...h.headers }, { host: 'example.com', 'x-trace-id': 'abc', accept: '*/*', 'x-empty': '' })
  assert.equal(h.body, BodyKind.None)
  assert.equal(h.keepAlive, true)
})

test('every method the fast path takes', () => {
  for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']) {
    assert.equal(parse(req(`${m} / HTTP/1.1`, 'Host: a'))?.method, m, m)
  }
})

test('body framing: Content-Length, chunked, and none', () => {
  const fixed = parse(req('POST /u HTTP/1.1', 'Host: a', 'Content-Length: 0012'))
  assert.deepEqual([fixed?.body, fixed?.length], [BodyKind.Fixed, 12])
  assert.equal(parse(req('POST /u HTTP/1.1', 'Host: a', 'Content-Length: 0'))?.body, BodyKind.None)
  assert.equal(parse(req('POST /u HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'))?.body, BodyKind.Chunked)
  assert.equal(parse(req('POST /u HTTP/1.1', 'Host: a', 'transfer-encoding: Chunked'))?.body, BodyKind.Chunked)
  assert.equal(parse(req('POST /u HTTP/1.1', 'Host: a', 'Content-Length: 999999999999999'))?.length, 999999999999999)
})

test('Connection: close ends keep-alive; keep-alive and other tokens do not', () => {
  assert.equal(parse(req('GET / HTTP/1.1', 'Host: a', 'Connection: close'))?.keepAlive, false)
  assert.equal(parse(req('GET / HTTP/1.1', 'Host: a', 'connection: Close'))?.keepAlive, false)
  assert.equal(parse(req('GET / HTTP/1.1', 'Host: a', 'Connection: keep-alive'))?.keepAlive, true)
  assert.equal(parse(req('GET / HTTP/1.1', 'Host: a', 'Connection: x-hop'))?.keepAlive, true)
})

test('repeated fields are read as Node reads them', () => {
  const h = parse(req('GET / HTTP/1.1', 'Host: a',
    'Cookie: a=1', 'cookie: b=2',                          // joined with '; '
    'Accept: text/html', 'ACCEPT: */*',                    // others joined with ', '
    'X-Forwarded-For: 1.1.1.1', 'X-Forwarded-For: 2.2.2.2',
    'Content-Type: text/plain', 'Content-Type: text/html', // these keep the first
    'User-Agent: one', 'User-Agent: two',
    'Authorization: first', 'Authorization: second',
    'Set-Cookie: s=1', 'Set-Cookie: s=2'))                 // an array
  assert.ok(h)
  assert.deepEqual({ ...h.headers }, {
    host: 'a', cookie: 'a=1; b=2', accept: 'text/html, */*', 'x-forwarded-for': '1.1.1.1, 2.2.2.2',
    'content-type': 'text/plain', 'user-agent': 'one', authorization: 'first', 'set-cookie': ['s=1', 's=2'],
  })
  assert.equal(h.rawHeaders.length, 2 * 15, 'rawHeaders keep every line')
})

test('a head followed by body bytes and a pipelined request: only the head is read', () => {
  const head = req('POST /a HTTP/1.1', 'Host: a', 'Content-Length: 5')
  const b = Buffer.from(`${head}hello${req('GET /b HTTP/1.1', 'Host: a')}`, 'latin1')
  const h = parseRequestHead(b, head.length)
  assert.deepEqual([h?.url, h?.length, h?.rawHeaders.length], ['/a', 5, 4])
})

test('anything unusual is left to Node (null)', () => {
  const cases: Record<string, string> = {
    'unknown method': req('FOO / HTTP/1.1', 'Host: a'),
    'lowercase method': req('get / HTTP/1.1', 'Host: a'),
    'CONNECT': req('CONNECT a:443 HTTP/1.1', 'Host: a:443'),
    'TRACE': req('TRACE / HTTP/1.1', 'Host: a'),
    'absolute-form target': req('GET http://a/x HTTP/1.1', 'Host: a'),
    'asterisk-form target': req('OPTIONS * HTTP/1.1', 'Host: a'),
    'two spaces after the method': req('GET  / HTTP/1.1', 'Host: a'),
    'space in the target': req('GET /a b HTTP/1.1', 'Host: a'),
    'tab in the target': req('GET /a\tb HTTP/1.1', 'Host: a'),
    'tab after a Content-Length': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 1\t'),
    'tab after chunked': req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked\t'),
    'tab around any field value': req('GET / HTTP/1.1', 'Host: a', 'X-A:\tb'),
    'non-ASCII byte in the target': req('GET /caf\xe9 HTTP/1.1', 'Host: a'),
    'DEL in the target': req('GET /a\x7f HTTP/1.1', 'Host: a'),
    'HTTP/1.0': req('GET / HTTP/1.0', 'Host: a'),
    'HTTP/2.0': req('GET / HTTP/2.0', 'Host: a'),
    'HTTP/1.10': req('GET / HTTP/1.10', 'Host: a'),
    'lowercase version': req('GET / http/1.1', 'Host: a'),
    'no version': req('GET /', 'Host: a'),
    'no Host': req('GET / HTTP/1.1', 'Accept: */*'),
    'two Hosts': req('GET / HTTP/1.1', 'Host: a', 'host: b'),
    'duplicate Content-Length (same value)': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 5', 'Content-Length: 5'),
    'Content-Length with a sign': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: +5'),
    'negative Content-Length': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: -1'),
    'hex Content-Length': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 0x5'),
    'Content-Length list': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 5, 5'),
    'Content-Length with inner space': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 1 2'),
    'empty Content-Length': req('POST / HTTP/1.1', 'Host: a', 'Content-Length:'),
    'Content-Length past 15 digits': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 1234567890123456'),
    'Transfer-Encoding gzip, chunked': req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: gzip, chunked'),
    'Transfer-Encoding identity': req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: identity'),
    'Transfer-Encoding xchunked': req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: xchunked'),
    'two Transfer-Encodings': req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'),
    'Content-Length then Transfer-Encoding': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 3', 'Transfer-Encoding: chunked'),
    'Transfer-Encoding then Content-Length': req('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Content-Length: 3'),
    'Content-Length 0 with Transfer-Encoding': req('POST / HTTP/1.1', 'Host: a', 'Content-Length: 0', 'Transfer-Encoding: chunked'),
    'Upgrade': req('GET / HTTP/1.1', 'Host: a', 'Upgrade: websocket'),
    'Expect': req('POST / HTTP/1.1', 'Host: a', 'Expect: 100-continue', 'Content-Length: 1'),
    'HTTP2-Settings': req('GET / HTTP/1.1', 'Host: a', 'HTTP2-Settings: AAMAAABkAAQAAP__'),
    'Connection: upgrade': req('GET / HTTP/1.1', 'Host: a', 'Connection: Upgrade'),
    'Connection: keep-alive, upgrade': req('GET / HTTP/1.1', 'Host: a', 'Connection: keep-alive, upgrade'),
    'obs-fold': req('GET / HTTP/1.1', 'Host: a', 'X-Folded: a', ' b'),
    'obs-fold with a tab': req('GET / HTTP/1.1', 'Host: a', 'X-Folded: a', '\tb'),
    'space before the colon': req('GET / HTTP/1.1', 'Host : a'),
    'no colon': req('GET / HTTP/1.1', 'Host: a', 'X-No-Colon'),
    'empty field name': req('GET / HTTP/1.1', 'Host: a', ': v'),
    'bad token in the name': req('GET / HTTP/1.1', 'Host: a', 'X(y): v'),
    'non-ASCII name': req('GET / HTTP/1.1', 'Host: a', 'X-\xe9: v'),
  }
  for (const [name, text] of Object.entries(cases)) assert.equal(parse(text), null, name)
})
