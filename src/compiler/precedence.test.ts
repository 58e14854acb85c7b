import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PathMatchType, RouteEntryIR } from '../ir/route.js'
import { sortByPrecedence } from './precedence.js'

function entry(id: string, type: PathMatchType, value: string, extra: Partial<RouteEntryIR> = {}): RouteEntryIR {
  return {
    route: extra.route ?? 'ns/r', rule: 0, match: 0, path: { type, value }, method: null, headers: [], queryParams: [],
    filters: [], backends: [{ service: id, weight: 1, filters: [] }], timeouts: { requestMs: null, backendRequestMs: 0 },
    retry: null, fault: null, ...extra,
  }
}
const h = { type: 'Exact' as const, name: 'x', value: '1' }

const cases: { name: string; input: RouteEntryIR[]; want: string[] }[] = [
  {
    name: 'exact before prefix before regex',
    input: [entry('re', 'RegularExpression', '/a.*'), entry('pre', 'PathPrefix', '/a'), entry('ex', 'Exact', '/a')],
    want: ['ex', 'pre', 're'],
  },
  {
    name: 'longest prefix first, segment-wise',
    input: [entry('root', 'PathPrefix', '/'), entry('a', 'PathPrefix', '/a'), entry('ab', 'PathPrefix', '/a/b'),
      entry('aslash', 'PathPrefix', '/a/', { method: 'GET' })],
    want: ['ab', 'aslash', 'a', 'root'],
  },
  {
    name: 'method, then headers, then query params',
    input: [entry('q', 'PathPrefix', '/', { queryParams: [h] }), entry('hh', 'PathPrefix', '/', { headers: [h, h] }),
      entry('h', 'PathPrefix', '/', { headers: [h] }), entry('m', 'PathPrefix', '/', { method: 'GET' })],
    want: ['m', 'hh', 'h', 'q'],
  },
  {
    name: 'then route name, rule index, match index',
    input: [entry('b', 'PathPrefix', '/', { route: 'ns/b' }), entry('a11', 'PathPrefix', '/', { route: 'ns/a', rule: 1, match: 1 }),
      entry('a10', 'PathPrefix', '/', { route: 'ns/a', rule: 1 }), entry('a0', 'PathPrefix', '/', { route: 'ns/a', match: 3 })],
    want: ['a0', 'a10', 'a11', 'b'],
  },
]

for (const c of cases) {
  test(`precedence: ${c.name}`, () => {
    assert.deepEqual(sortByPrecedence(c.input).map(e => e.backends[0].service), c.want)
  })
}
