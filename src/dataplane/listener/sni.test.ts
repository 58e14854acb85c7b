// The ClientHello SNI reader: real hellos (from node's TLS client), split records and bytes,
// malformed and random input — never a throw, always one of more / hello / invalid.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../lib/mulberry32.js'
import { clientHello } from './client-hello.test-harness.js'
import { MAX_SNIFF_BYTES, parseClientHelloSni } from './sni.js'

test('reads the server name of a real ClientHello, whole and byte by byte', async () => {
  const hello = await clientHello('Api.Example.com')
  assert.deepEqual(parseClientHelloSni(hello), { kind: 'hello', serverName: 'api.example.com' })
  for (let n = 0; n < hello.length; n++) assert.equal(parseClientHelloSni(hello.subarray(0, n)).kind, 'more', `prefix ${n}`)
})

test('a ClientHello without SNI gives null', async () => {
  const hello = await clientHello(undefined)
  assert.deepEqual(parseClientHelloSni(hello), { kind: 'hello', serverName: null })
})

test('a ClientHello split over two records is reassembled', async () => {
  const hello = await clientHello('db.example.com')
  const body = hello.subarray(5)
  const cut = 40
  const rec = (b: Buffer) => Buffer.concat([Buffer.from([22, 3, 1, b.length >> 8, b.length & 255]), b])
  const split = Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut))])
  assert.deepEqual(parseClientHelloSni(split), { kind: 'hello', serverName: 'db.example.com' })
  assert.equal(parseClientHelloSni(split.subarray(0, 5 + cut + 3)).kind, 'more')
})

test('garbage is invalid, not more', () => {
  const cases: { name: string; input: Buffer; want: string }[] = [
    { name: 'HTTP request', input: Buffer.from('GET / HTTP/1.1\r\n\r\n'), want: 'invalid' },
    { name: 'alert record', input: Buffer.from([21, 3, 3, 0, 2, 2, 40]), want: 'invalid' },
    { name: 'zero-length record', input: Buffer.from([22, 3, 1, 0, 0]), want: 'invalid' },
    { name: 'huge record', input: Buffer.from([22, 3, 1, 0xff, 0xff]), want: 'invalid' },
    { name: 'ServerHello', input: Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0]), want: 'invalid' },
    { name: 'hello claims 16 MB', input: Buffer.from([22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]), want: 'invalid' },
    { name: 'empty hello body', input: Buffer.from([22, 3, 1, 0, 4, 1, 0, 0, 0]), want: 'invalid' },
  ]
  for (const c of cases) assert.equal(parseClientHelloSni(c.input).kind, c.want, c.name)
})

test('mutated and random input never throws and stays bounded', async () => {
  const hello = await clientHello('x.example.com')
  const rnd = mulberry32(42)
  for (let i = 0; i < 20_000; i++) {
    const b = Buffer.from(hello)
    const flips = 1 + Math.floor(rnd() * 4)
    for (let j = 0; j < flips; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256)
    const r = parseClientHelloSni(b.subarray(0, Math.floor(rnd() * b.length) + 1))
    assert.ok(r.kind === 'more' || r.kind === 'hello' || r.kind === 'invalid')
    if (r.kind === 'hello' && r.serverName !== null) assert.match(r.serverName, /^[a-z0-9._-]{0,253}$/)
  }
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(1 + Math.floor(rnd() * 600))
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256)
    if (rnd() < 0.5) { b[0] = 22; b[1] = 3 }
    parseClientHelloSni(b)
  }
  // Many tiny records: the sniffer's byte bound ends it.
  const tiny = Buffer.alloc(MAX_SNIFF_BYTES + 100)
  for (let p = 0; p + 6 <= tiny.length; p += 6) tiny.set([22, 3, 1, 0, 1, p === 0 ? 1 : 0], p)
  assert.notEqual(parseClientHelloSni(tiny).kind, 'hello')
})
