// The chunked transfer coding, decoded incrementally: the data of every chunk, the index where the
// trailer section starts, the same result however the bytes are split, and the framing it refuses.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkDecoder, ChunkState } from './chunk-decoder.js'

interface Decoded { data: string; trailers: string | null; error: string | null }

/** Feeds `pieces` one after another, as they would arrive from a socket. */
function decode(pieces: (string | Buffer)[], dec = new ChunkDecoder()): Decoded {
  const out: Buffer[] = []
  const sink = { chunkData: (b: Buffer, from: number, to: number) => { out.push(Buffer.from(b.subarray(from, to))) } }
  let trailers: string | null = null
  for (const piece of pieces) {
    const b = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece
    let i = 0
    while (i < b.length) {
      if (dec.state === ChunkState.Trailers) { trailers = (trailers ?? '') + b.toString('latin1', i); break }
      i = dec.execute(b, i, b.length, sink)
      if (i < 0) return { data: Buffer.concat(out).toString('latin1'), trailers, error: dec.error }
    }
  }
  if (dec.state === ChunkState.Trailers && trailers === null) trailers = ''
  return { data: Buffer.concat(out).toString('latin1'), trailers, error: null }
}

test('chunk sizes in hex of either case, with leading zeros, then the last chunk', () => {
  assert.deepEqual(decode(['5\r\nhello\r\n0\r\n\r\n']), { data: 'hello', trailers: '\r\n', error: null })
  assert.deepEqual(decode(['a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n']).data, '0123456789abcdefghij')
  assert.deepEqual(decode(['0001\r\nx\r\n00\r\n\r\n']), { data: 'x', trailers: '\r\n', error: null })
  assert.deepEqual(decode(['0\r\n\r\n']), { data: '', trailers: '\r\n', error: null })
})

test('data bytes are passed through as they are, CRLF and all', () => {
  const body = 'a\r\nb\r\n0\r\n\r\n'                        // looks like framing, is data
  assert.equal(decode([`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`]).data, body)
})

test('chunk extensions of the strict grammar are skipped, quoted strings and escapes included', () => {
  assert.equal(decode(['5;name=value\r\nhello\r\n6;a;b="x y\\"z"\r\n world\r\n0;last=1\r\n\r\n']).data, 'hello world')
})

test('chunk extensions Node refuses are refused: whitespace, empty names, stray characters, bytes past ASCII', () => {
  for (const ext of [';a b', ';last\t=1', '; a', ';', ';;a', ';a=', ';a=b c', ';?', ';a,b', ';a:b', ';a="x', ';a="x"y', ';\u00e9']) {
    assert.ok(decode([`1${ext}\r\nx\r\n0\r\n\r\n`]).error, JSON.stringify(ext))
  }
})

test('the decoder stops where the trailer section starts; the caller reads it', () => {
  const r = decode(['3\r\nabc\r\n0\r\nx-sum: 1\r\nx-more: 2\r\n\r\nGET / HTTP/1.1\r\n'])
  assert.equal(r.data, 'abc')
  assert.equal(r.trailers, 'x-sum: 1\r\nx-more: 2\r\n\r\nGET / HTTP/1.1\r\n')
  const dec = new ChunkDecoder()
  const b = Buffer.from('1\r\nz\r\n0\r\nx: y\r\n\r\n')
  let i = 0
  while (dec.state !== ChunkState.Trailers) i = dec.execute(b, i, b.length, { chunkData() {} })
  assert.equal(i, b.indexOf('x: y'))
  assert.equal(dec.execute(b, i, b.length, { chunkData() {} }), i, 'nothing more is read in Trailers')
})

test('one slice of data per call, so the caller can stop when its reader gives up', () => {
  const dec = new ChunkDecoder()
  const b = Buffer.from('2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n')
  const slices: string[] = []
  const sink = { chunkData: (buf: Buffer, from: number, to: number) => { slices.push(buf.toString('latin1', from, to)) } }
  const first = dec.execute(b, 0, b.length, sink)
  assert.deepEqual([first, slices], [5, ['ab']])
  dec.execute(b, first, b.length, sink)
  assert.deepEqual(slices, ['ab', 'cd'])
})

test('the same result however the bytes are split: in two at every boundary, and byte by byte', () => {
  const wire = Buffer.from('4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\ntrailer: t\r\n\r\n', 'latin1')
  const want = decode([wire])
  assert.deepEqual([want.data, want.trailers], ['Wikipedia in \r\n\r\nchunks.', 'trailer: t\r\n\r\n'])
  for (let k = 1; k < wire.length; k++) {
    assert.deepEqual(decode([wire.subarray(0, k), wire.subarray(k)]), want, `split at ${k}`)
  }
  const bytes: Buffer[] = []
  for (let k = 0; k < wire.length; k++) bytes.push(wire.subarray(k, k + 1))
  assert.deepEqual(decode(bytes), want)
})

test('a chunk larger than what has arrived is handed over piece by piece', () => {
  const r = decode(['10\r\n0123', '4567', '89abcdef\r', '\n0\r\n\r\n'])
  assert.deepEqual([r.data, r.error], ['0123456789abcdef', null])
})

test('malformed framing is refused with a reason', () => {
  const cases: [string, string, RegExp][] = [
    ['bad hex digit', 'g\r\n', /invalid chunk size/],
    ['hex digit then junk', '5x\r\nhello\r\n', /invalid chunk size/],
    ['empty size', '\r\nhello\r\n', /invalid chunk size/],
    ['sign', '-5\r\nhello\r\n', /invalid chunk size/],
    ['leading space', ' 5\r\nhello\r\n', /invalid chunk size/],
    ['space before CRLF', '5 \r\nhello\r\n', /invalid chunk size/],
    ['0x prefix', '0x5\r\nhello\r\n', /invalid chunk size/],
    ['LF alone after the size', '5\nhello\r\n', /invalid chunk size/],
    ['more than 13 hex digits', '10000000000000\r\n', /too large/],
    ['14 digits, even with leading zeros', '00000000000005\r\nhello\r\n', /too large/],
    ['bare CR after the size', '5\rhello', /bare CR/],
    ['bare CR after an extension', '5;a\rhello', /bare CR/],
    ['data longer than its size', '5\r\nhello!\r\n', /missing CRLF/],
    ['LF alone after the data', '5\r\nhello\n0\r\n\r\n', /missing CRLF/],
    ['CR then junk after the data', '5\r\nhello\rX', /missing CRLF/],
    ['junk then LF after the data', '5\r\nhelloX\n0\r\n\r\n', /missing CRLF/],
    ['control byte in an extension', '5;a\x01b\r\nhello\r\n', /invalid chunk extension/],
    ['NUL in an extension', '5;a=\x00\r\nhello\r\n', /invalid chunk extension/],
    ['DEL in an extension', '5;a=\x7f\r\nhello\r\n', /invalid chunk extension/],
    ['LF in an extension', '5;a\nb\r\nhello\r\n', /invalid chunk extension/],
    ['an extension past 1024 bytes', `5;${'a'.repeat(1025)}\r\nhello\r\n`, /invalid chunk extension/],
  ]
  for (const [name, wire, reason] of cases) {
    const r = decode([wire])
    assert.match(r.error ?? '(none)', reason, name)
  }
  assert.equal(decode([`5;${'a'.repeat(1024)}\r\nhello\r\n0\r\n\r\n`]).error, null, '1024 bytes of extension are fine')
  assert.equal(decode(['fffffffffffff\r\n']).error, null, '13 hex digits are fine')
})

test('an error mid-stream is found whatever the split, and reset() makes the decoder new again', () => {
  const wire = Buffer.from('3\r\nabc\r\nzz\r\n')
  for (let k = 1; k < wire.length; k++) {
    assert.match(decode([wire.subarray(0, k), wire.subarray(k)]).error ?? '', /invalid chunk size/, `split at ${k}`)
  }
  const dec = new ChunkDecoder()
  assert.ok(decode(['zz'], dec).error)
  dec.reset()
  assert.deepEqual([dec.state, dec.error], [ChunkState.Size, null])
  assert.deepEqual(decode(['2\r\nok\r\n0\r\n\r\n'], dec), { data: 'ok', trailers: '\r\n', error: null })
})
