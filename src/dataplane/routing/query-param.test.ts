import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findQueryParam } from './query-param.js'

test('findQueryParam', () => {
  const cases = [
    { query: 'a=1&b=2', name: 'b', want: '2' },
    { query: 'a=1&b=2', name: 'a', want: '1' },
    { query: 'a=1&b=2', name: 'c', want: null },
    { query: 'a=1&a=2', name: 'a', want: '1' },                  // first occurrence
    { query: 'ab=1&a=2', name: 'a', want: '2' },                 // whole names only
    { query: 'flag&x=1', name: 'flag', want: '' },
    { query: 'x=&y=1', name: 'x', want: '' },
    { query: '', name: 'a', want: null },
    { query: 'a=hello%20world', name: 'a', want: 'hello world' },
    { query: 'a=%zz', name: 'a', want: '%zz' },                  // malformed: raw text
    { query: 'b%65ta=true', name: 'beta', want: 'true' },        // encoded name
    { query: 'A=1', name: 'a', want: null },                     // case-sensitive
    { query: 'a=1=2', name: 'a', want: '1=2' },
    { query: '&&a=1', name: 'a', want: '1' },
  ]
  for (const c of cases) assert.equal(findQueryParam(c.query, c.name), c.want, `${c.query} ${c.name}`)
})
