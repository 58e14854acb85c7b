import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatTraceParent, newSpanId, newTraceId, parseTraceParent } from './trace-context.js'

const T = '4bf92f3577b34da6a3ce929d0e0e4736', P = '00f067aa0ba902b7'

test('a valid traceparent gives its trace, parent and sampled flag', () => {
  assert.deepEqual(parseTraceParent(`00-${T}-${P}-01`), { traceId: T, parentId: P, sampled: true })
  assert.deepEqual(parseTraceParent(`00-${T}-${P}-00`), { traceId: T, parentId: P, sampled: false })
  assert.deepEqual(parseTraceParent(`cc-${T}-${P}-01-what-the-future-adds`), { traceId: T, parentId: P, sampled: true }, 'a later version: the first four fields')
})

test('malformed values are refused, so a new trace starts', () => {
  for (const bad of [
    undefined, '', 'garbage', `00-${T}-${P}-01-extra`, `ff-${T}-${P}-01`, `00-${T.toUpperCase()}-${P}-01`,
    `00-${'0'.repeat(32)}-${P}-01`, `00-${T}-${'0'.repeat(16)}-01`, `00-${T.slice(1)}-${P}-01`, `00-${T}-${P}-0x`,
    `00_${T}_${P}_01`, `cc-${T}-${P}-01x`,
  ]) assert.equal(parseTraceParent(bad), null, String(bad))
  assert.equal(parseTraceParent([`00-${T}-${P}-01`, `00-${T}-${P}-01`]), null, 'a repeated header is ambiguous')
})

test('new ids are lower-case hex of the right length, never zero, and do not repeat', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 5000; i++) {
    const t = newTraceId(), s = newSpanId()
    assert.match(t, /^[0-9a-f]{32}$/)
    assert.match(s, /^[0-9a-f]{16}$/)
    seen.add(t); seen.add(s)
  }
  assert.equal(seen.size, 10_000)
  assert.equal(formatTraceParent(T, P, true), `00-${T}-${P}-01`)
  assert.deepEqual(parseTraceParent(formatTraceParent(T, P, false)), { traceId: T, parentId: P, sampled: false })
})
