// The ClientHello reader of TLS passthrough: a hello fed one byte per read, or split across reads
// and records at every awkward place, is parsed once, when it is whole, and gives the same answer as
// parsing all its bytes at once; garbage is refused as early.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { clientHello } from './client-hello.test-harness.js'
import { ClientHelloReader } from './client-hello-reader.js'
import { MAX_SNIFF_BYTES, parseClientHelloSni, type SniResult } from './sni.js'

/** The handshake message of a one-record hello, grown by a padding extension to `size` bytes. */
function paddedHandshake(record: Buffer, size: number): Buffer {
  const hs = record.subarray(5)
  const body = hs.subarray(4)
  let p = 2 + 32
  p += 1 + body[p]                                        // session id
  p += 2 + body.readUInt16BE(p)                           // cipher suites
  p += 1 + body[p]                                        // compression methods
  const extLen = body.readUInt16BE(p)
  const pad = size - hs.length - 4
  const ext = Buffer.alloc(4 + pad)
  ext.writeUInt16BE(21, 0)                                // padding (RFC 7685)
  ext.writeUInt16BE(pad, 2)
  const grown = Buffer.concat([body, ext])
  grown.writeUInt16BE(extLen + ext.length, p)
  const head = Buffer.from([1, 0, 0, 0])
  head.writeUIntBE(grown.length, 1, 3)
  return Buffer.concat([head, grown])
}

/** `handshake` in TLS records, cut at `cuts` (offsets into the handshake message). */
function records(handshake: Buffer, cuts: readonly number[]): Buffer {
  const parts: Buffer[] = []
  let from = 0
  for (const to of [...cuts, handshake.length]) {
    const frag = handshake.subarray(from, to)
    parts.push(Buffer.from([22, 3, 1, frag.length >> 8, frag.length & 255]), frag)
    from = to
  }
  return Buffer.concat(parts)
}

/** Feeds `bytes` in reads of the given sizes (repeated), stopping at the first answer. */
function feed(bytes: Buffer, sizes: () => number): { result: SniResult; reader: ClientHelloReader; reads: number } {
  const reader = new ClientHelloReader()
  let result: SniResult = { kind: 'more' }, at = 0, reads = 0
  while (at < bytes.length && result.kind === 'more') {
    const n = Math.max(1, Math.min(sizes(), bytes.length - at))
    result = reader.push(bytes.subarray(at, at + n))
    at += n
    reads++
  }
  return { result, reader, reads }
}

test('a 16 KB ClientHello sent one byte per read is parsed once, when its last byte arrives', async () => {
  const hello = records(paddedHandshake(await clientHello('Api.Example.com'), 16_000), [])
  const { result, reader, reads } = feed(hello, () => 1)
  assert.deepEqual(result, { kind: 'hello', serverName: 'api.example.com' })
  assert.equal(reads, hello.length, 'no answer before the last byte')
  assert.equal(reader.parses, 1)
  assert.ok(reader.bytes.equals(hello), 'every byte is kept for the upstream')
})

test('a hello split across records and reads at every awkward place gives its name, parsed once', async () => {
  const handshake = paddedHandshake(await clientHello('db.example.com'), 3000)
  const cases = [
    { name: 'one record, one read', cuts: [], read: 1 << 20 },
    { name: 'handshake header split across records', cuts: [2], read: 7 },
    { name: 'header split at every byte', cuts: [1, 2, 3], read: 1 },
    { name: 'many records, reads cutting record headers', cuts: [40, 41, 600, 2999], read: 3 },
    { name: 'a record per 100 bytes, byte by byte', cuts: Array.from({ length: 29 }, (_, i) => 100 * (i + 1)), read: 1 },
  ]
  for (const c of cases) {
    const bytes = records(handshake, c.cuts)
    const { result, reader } = feed(bytes, () => c.read)
    assert.deepEqual(result, { kind: 'hello', serverName: 'db.example.com' }, c.name)
    assert.equal(reader.parses, 1, c.name)
    assert.ok(reader.bytes.equals(bytes), c.name)
  }
})

test('split at random, whole or mutated, a hello gets the answer parsing all its bytes at once gives', async () => {
  const hello = await clientHello('x.example.com')
  const handshake = hello.subarray(5)
  const rnd = mulberry32(7)
  for (let i = 0; i < 3000; i++) {
    const cuts = [...new Set(Array.from({ length: Math.floor(rnd() * 6) }, () => 1 + Math.floor(rnd() * (handshake.length - 1))))].sort((a, b) => a - b)
    const bytes = records(handshake, cuts)
    if (i % 2 === 1) for (let j = 0; j < 3; j++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256)
    const { result, reader } = feed(bytes, () => 1 + Math.floor(rnd() * 40))
    const whole = parseClientHelloSni(reader.bytes)
    assert.deepEqual(result, whole, `case ${i}`)
    assert.ok(reader.parses <= 1, `case ${i}: parsed ${reader.parses} times`)
  }
})

test('garbage is refused as soon as a header shows it, read byte by byte', () => {
  const cases = [
    { name: 'HTTP request', input: Buffer.from('GET / HTTP/1.1\r\n\r\n'), reads: 5 },
    { name: 'alert record', input: Buffer.from([21, 3, 3, 0, 2, 2, 40]), reads: 5 },
    { name: 'zero-length record', input: Buffer.from([22, 3, 1, 0, 0]), reads: 5 },
    { name: 'ServerHello', input: Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0]), reads: 9 },
    { name: 'hello claims 16 MB', input: Buffer.from([22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]), reads: 9 },
  ]
  for (const c of cases) {
    const { result, reader, reads } = feed(c.input, () => 1)
    assert.equal(result.kind, 'invalid', c.name)
    assert.equal(reads, c.reads, c.name)
    assert.equal(reader.parses, 1, c.name)
  }
  // A hello of 16 KB in records of one byte each is too large to sniff: the byte bound ends it, unparsed.
  const tiny = Buffer.alloc(MAX_SNIFF_BYTES + 100)
  const header = [1, 0, 0x3f, 0]                           // ClientHello, 16128 bytes
  for (let p = 0, i = 0; p + 6 <= tiny.length; p += 6, i++) tiny.set([22, 3, 1, 0, 1, header[i] ?? 0], p)
  const { result, reader } = feed(tiny, () => 1)
  assert.deepEqual(result, { kind: 'invalid', why: 'ClientHello too large' })
  assert.equal(reader.parses, 0)
})
