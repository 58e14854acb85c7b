import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRequestHead } from './request-head.js'

const text = (h: { bytes: Buffer }) => h.bytes.toString('latin1')

test('request head: request line, headers in order, Host added only when missing, exact length', () => {
  const h = buildRequestHead('GET', '/a?b=1', { host: 'api:80', accept: '*/*', 'x-n': 7 as unknown as string, cookie: ['a=1', 'b=2'] }, 'ep:1', false)
  assert.equal(text(h), 'GET /a?b=1 HTTP/1.1\r\nhost: api:80\r\naccept: */*\r\nx-n: 7\r\ncookie: a=1\r\ncookie: b=2\r\n\r\n')
  assert.equal(h.chunked, false)
  assert.equal(h.flushEarly, false)
  const noHost = buildRequestHead('DELETE', '/', { 'x-a': '' }, '[::1]:8080', false)
  assert.equal(text(noHost), 'DELETE / HTTP/1.1\r\nx-a: \r\nhost: [::1]:8080\r\n\r\n')
})

test('request head: a body of unknown length is sent chunked; a known length and Expect are kept', () => {
  assert.equal(text(buildRequestHead('POST', '/', { host: 'h' }, 'ep', true)), 'POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n')
  const sized = buildRequestHead('PUT', '/', { host: 'h', 'content-length': '3', expect: '100-continue' }, 'ep', true)
  assert.equal(text(sized), 'PUT / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n')
  assert.equal(sized.chunked, false)
  assert.equal(sized.flushEarly, true)
})

test('request head: latin1 bytes pass through unchanged; CR, LF and NUL are refused anywhere', () => {
  assert.deepEqual([...buildRequestHead('GET', '/', { host: 'h', 'x-l': 'caf\u00e9\u00ff' }, 'ep', false).bytes.subarray(30, 36)], [0x63, 0x61, 0x66, 0xe9, 0xff, 13])
  assert.throws(() => buildRequestHead('GET', '/', { host: 'h', 'x-a': 'v\r\nx-b: 1' }, 'ep', false), /invalid value/)
  assert.throws(() => buildRequestHead('GET', '/', { host: 'h', 'x-a\n': 'v' }, 'ep', false), /invalid header name/)
  assert.throws(() => buildRequestHead('GET', '/', { host: 'h', c: ['ok', 'no\0'] }, 'ep', false), /invalid value/)
  assert.throws(() => buildRequestHead('GET', '/a b', {}, 'ep', false), /invalid request line/)
  assert.throws(() => buildRequestHead('GE\nT', '/', {}, 'ep', false), /invalid request line/)
})
