import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ResponseParser, type ResponseHandler } from './response-parser.js'

interface Result { status: number; raw: string[]; body: string; trailers: string[] | null; keepAlive: boolean; complete: boolean; error: string | null; used: number }

/** Feeds `pieces` to a fresh parser; collects what it reports. */
function parse(pieces: (string | Buffer)[], head = false): Result {
  const r: Result = { status: 0, raw: [], body: '', trailers: null, keepAlive: false, complete: false, error: null, used: 0 }
  const p = new ResponseParser()
  const h: ResponseHandler = {
    onHead(status, raw) { r.status = status; r.raw = raw },
    onBody(chunk) { r.body += chunk.toString('latin1') },
    onComplete(trailers, keepAlive) { r.complete = true; r.trailers = trailers; r.keepAlive = keepAlive },
  }
  p.handler = h
  p.reset(head)
  for (const piece of pieces) {
    const b = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece
    const used = p.execute(b)
    if (used < 0) { r.error = p.error ?? 'aborted'; return r }
    r.used += used
    if (p.done) break
  }
  return r
}

const CASES: { name: string; input: string; head?: boolean; status?: number; body?: string; keepAlive?: boolean; complete?: boolean; error?: RegExp; trailers?: string[] }[] = [
  { name: 'content-length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello', status: 200, body: 'hello', keepAlive: true },
  { name: 'zero length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', status: 200, body: '', keepAlive: true },
  { name: 'no reason phrase', input: 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', status: 200, keepAlive: true },
  { name: 'chunked with extension and trailers', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nA\r\n0123456789\r\n0\r\nGrpc-Status: 0\r\nX-T: 1\r\n\r\n', status: 200, body: 'hello0123456789', trailers: ['Grpc-Status', '0', 'X-T', '1'], keepAlive: true },
  { name: 'chunked, no trailers', input: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', body: 'abc', trailers: [], keepAlive: true },
  { name: 'close-delimited', input: 'HTTP/1.1 200 OK\r\n\r\nuntil close', body: 'until close', complete: false },
  { name: '100-continue skipped', input: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', status: 201, body: 'ok', keepAlive: true },
  { name: '103 early hints skipped', input: 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', status: 200, body: 'x' },
  { name: 'HEAD has no body', input: 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', head: true, body: '', keepAlive: true },
  { name: '204 has no body', input: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', status: 204, body: '', keepAlive: true },
  { name: '304 has no body', input: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', status: 304, body: '', keepAlive: true },
  { name: 'connection close honoured', input: 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx', body: 'x', keepAlive: false },
  { name: 'HTTP/1.0 not reused', input: 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', body: 'x', keepAlive: false },
  { name: 'OWS trimmed', input: 'HTTP/1.1 200 OK\r\nX-A:  \t v \t\r\nContent-Length: 0\r\n\r\n', keepAlive: true },
  { name: 'obs-fold', input: 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n', error: /header field/ },
  { name: 'bare LF', input: 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', error: /bare LF/ },
  { name: 'bare CR', input: 'HTTP/1.1 200 OK\rX: y\r\nContent-Length: 0\r\n\r\n', error: /bare CR/ },
  { name: 'duplicate content-length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', error: /duplicate/ },
  { name: 'conflicting content-length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\nxx', error: /duplicate/ },
  { name: 'content-length list', input: 'HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx', error: /content-length/ },
  { name: 'negative content-length', input: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', error: /content-length/ },
  { name: 'overflowing content-length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n', error: /content-length/ },
  { name: 'content-length and chunked', input: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', error: /transfer-encoding/ },
  { name: 'unknown transfer coding', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', error: /transfer-encoding/ },
  { name: 'invalid chunk size', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', error: /chunk size/ },
  { name: 'negative chunk size', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n', error: /chunk size/ },
  { name: 'overflowing chunk size', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n', error: /too large/ },
  { name: 'missing CRLF after chunk', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n', error: /CRLF/ },
  { name: 'bad status line', input: 'HTTP/2 200 OK\r\n\r\n', error: /status line/ },
  { name: 'bad status code', input: 'HTTP/1.1 2x0 OK\r\n\r\n', error: /status/ },
  { name: 'switching protocols', input: 'HTTP/1.1 101 Switching\r\nUpgrade: x\r\n\r\n', error: /protocol switch/ },
  { name: 'space before colon', input: 'HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n', error: /header field/ },
  { name: 'control byte', input: 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n', error: /control/ },
]

for (const c of CASES) {
  test(`response parser: ${c.name}`, () => {
    const r = parse([c.input], c.head)
    if (c.error) { assert.match(r.error ?? '', c.error); assert.equal(r.complete, false); return }
    assert.equal(r.error, null)
    if (c.status !== undefined) assert.equal(r.status, c.status)
    if (c.body !== undefined) assert.equal(r.body, c.body)
    assert.equal(r.complete, c.complete ?? true)
    if (c.keepAlive !== undefined && r.complete) assert.equal(r.keepAlive, c.keepAlive)
    if (c.trailers !== undefined) assert.deepEqual(r.trailers, c.trailers)
  })
}

test('response parser: the same result split at every byte boundary', () => {
  const inputs = [CASES[0].input, CASES[3].input, CASES[6].input, CASES[8].input]
  for (const input of inputs) {
    const whole = parse([input], input === CASES[8].input)
    for (let cut = 1; cut < input.length; cut++) {
      const r = parse([input.slice(0, cut), input.slice(cut)], input === CASES[8].input)
      assert.deepEqual({ ...r, used: 0 }, { ...whole, used: 0 }, `cut at ${cut}`)
    }
    const bytes = parse([...input], input === CASES[8].input)               // one byte at a time
    assert.deepEqual({ ...bytes, used: 0 }, { ...whole, used: 0 })
  }
})

test('response parser: pipelined responses on one keep-alive socket', () => {
  const stream = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', 'latin1')
  const p = new ResponseParser()
  const got: string[] = []
  p.handler = { onHead: s => got.push(`head ${s}`), onBody: c => got.push(c.toString()), onComplete: (_t, k) => got.push(`done ${k}`) }
  let rest = stream
  while (rest.length > 0) {
    p.reset(false)
    const used = p.execute(rest)
    assert.ok(used > 0 && p.done)
    rest = rest.subarray(used)
  }
  assert.deepEqual(got, ['head 200', 'a', 'done true', 'head 200', 'b', 'done true', 'head 204', 'done true'])
})

test('response parser: a head over 64 KB is an error, whole or in pieces', () => {
  const big = 'HTTP/1.1 200 OK\r\n' + 'X-Pad: ' + 'a'.repeat(70 * 1024) + '\r\n\r\n'
  assert.match(parse([big]).error ?? '', /too large/)
  const pieces: string[] = []
  for (let i = 0; i < big.length; i += 1000) pieces.push(big.slice(i, i + 1000))
  assert.match(parse(pieces).error ?? '', /too large/)
})

test('response parser: chunked trailers over the limit are an error', () => {
  const input = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ' + 'b'.repeat(70 * 1024) + '\r\n\r\n'
  assert.match(parse([input]).error ?? '', /too large/)
})

test('response parser: close-delimited completes on finish()', () => {
  const p = new ResponseParser()
  let done = false
  p.handler = { onHead() {}, onBody() {}, onComplete(_t, k) { done = true; assert.equal(k, false) } }
  p.reset(false)
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\npartial'))
  assert.equal(p.readsUntilClose, true)
  assert.equal(p.finish(), true)
  assert.equal(done, true)
  const q = new ResponseParser()
  q.reset(false)
  q.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'))
  assert.equal(q.finish(), false)                // a fixed-length body cut short is not complete
})

test('response parser: random mutations never throw (bounded)', () => {
  const seeds = CASES.map(c => Buffer.from(c.input, 'latin1'))
  let state = 12345
  const rnd = (n: number) => { state = (state * 1103515245 + 12345) & 0x7fffffff; return state % n }
  for (let round = 0; round < 3000; round++) {
    const b = Buffer.from(seeds[rnd(seeds.length)])
    const edits = 1 + rnd(4)
    for (let e = 0; e < edits; e++) b[rnd(b.length)] = rnd(256)
    const cut = rnd(b.length + 1)
    const p = new ResponseParser()
    p.handler = { onHead() {}, onBody() {}, onComplete() {} }
    p.reset(rnd(5) === 0)
    const first = p.execute(b.subarray(0, cut))
    if (first >= 0 && !p.done) p.execute(b.subarray(cut))
    p.finish()
  }
})

test('response parser: from a reused read buffer, the body pieces and a split head are copies', () => {
  // Plain upstream sockets are read into one shared buffer: every read overwrites the last. Each case
  // is fed through such a buffer, one byte and then three bytes at a time, and the buffer is filled
  // with junk after each read; the body pieces are kept as Buffers and joined only at the end.
  for (const c of CASES.filter(k => k.error === undefined && k.body !== undefined)) {
    for (const step of [1, 3]) {
      const input = Buffer.from(c.input, 'latin1')
      const shared = Buffer.alloc(64)
      const pieces: Buffer[] = []
      let status = 0
      const p = new ResponseParser()
      p.handler = { onHead(s) { status = s }, onBody(chunk) { pieces.push(chunk) }, onComplete() {} }
      p.reset(c.head ?? false)
      for (let at = 0; at < input.length && !p.done; at += step) {
        const n = input.copy(shared, 0, at, Math.min(at + step, input.length))
        assert.ok(p.execute(shared.subarray(0, n), true) >= 0, `${c.name}: parse failed at ${at}`)
        shared.fill(0x23)
      }
      if (c.status !== undefined) assert.equal(status, c.status, `${c.name} (step ${step})`)
      assert.equal(Buffer.concat(pieces).toString('latin1'), c.body, `${c.name} (step ${step})`)
    }
  }
})
