import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildHashKeyExtractor, findCookie } from './hash-key.js'

test('hash key extractor by hashOn', () => {
  const headers = { 'x-user': 'alice', cookie: 'a=1; session="s-42"; b=2; e=; q=""', 'x-multi': ['p', 'q'], 'x-empty': '' }
  const cases = [
    { name: 'header', hashOn: { header: 'x-user', cookie: null, sourceIP: false }, want: 'alice' },
    { name: 'header case-insensitive', hashOn: { header: 'X-User', cookie: null, sourceIP: false }, want: 'alice' },
    { name: 'missing header', hashOn: { header: 'x-none', cookie: null, sourceIP: false }, want: null },
    { name: 'empty header', hashOn: { header: 'x-empty', cookie: null, sourceIP: false }, want: null },
    { name: 'empty cookie', hashOn: { header: null, cookie: 'e', sourceIP: false }, want: null },
    { name: 'empty quoted cookie', hashOn: { header: null, cookie: 'q', sourceIP: false }, want: null },
    { name: 'multi-valued header', hashOn: { header: 'x-multi', cookie: null, sourceIP: false }, want: 'p, q' },
    { name: 'cookie (quotes removed)', hashOn: { header: null, cookie: 'session', sourceIP: false }, want: 's-42' },
    { name: 'missing cookie', hashOn: { header: null, cookie: 'nope', sourceIP: false }, want: null },
    { name: 'source IP', hashOn: { header: null, cookie: null, sourceIP: true }, want: '203.0.113.7' },
  ]
  for (const c of cases) {
    const extract = buildHashKeyExtractor(c.hashOn)
    assert.ok(extract !== null, c.name)
    assert.equal(extract(headers, '203.0.113.7'), c.want, c.name)
  }
  assert.equal(buildHashKeyExtractor(null), null)
  assert.equal(buildHashKeyExtractor({ header: null, cookie: null, sourceIP: false }), null)
})

test('findCookie matches whole names only', () => {
  const cases = [
    { header: 'ab=1; b=2', name: 'b', want: '2' },
    { header: 'b=first; b=second', name: 'b', want: 'first' },
    { header: 'b=', name: 'b', want: '' },
    { header: 'bb=1', name: 'b', want: null },
    { header: '', name: 'b', want: null },
  ]
  for (const c of cases) assert.equal(findCookie(c.header, c.name), c.want, c.header)
})
