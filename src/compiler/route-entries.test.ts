import { test } from 'node:test'
import assert from 'node:assert/strict'
import { grpcPath } from './route-entries.js'

// GRPCRoute method matches become one path match; a RegularExpression path matches the whole
// path, anchored as the data plane anchors it.
const matches = (m: Parameters<typeof grpcPath>[0], path: string): boolean => {
  const p = grpcPath(m)
  if (p.type === 'Exact') return path === p.value
  if (p.type === 'PathPrefix') return path.startsWith(p.value)
  return new RegExp(`^(?:${p.value})$`).test(path)
}

const cases: { name: string; match: Parameters<typeof grpcPath>[0]; path: string; want: boolean }[] = [
  { name: 'exact service and method', match: { type: 'Exact', service: 'shop.v1.Orders', method: 'Get' }, path: '/shop.v1.Orders/Get', want: true },
  { name: 'exact service, other method', match: { type: 'Exact', service: 'shop.v1.Orders' }, path: '/shop.v1.Orders/List', want: true },
  { name: 'exact method of any service', match: { type: 'Exact', method: 'Ping' }, path: '/a.B/Ping', want: true },
  { name: 'regex service alternation', match: { type: 'RegularExpression', service: 'a\\.Foo|a\\.Bar' }, path: '/a.Bar/Get', want: true },
  { name: 'regex service alternation, first', match: { type: 'RegularExpression', service: 'a\\.Foo|a\\.Bar' }, path: '/a.Foo/Get', want: true },
  { name: 'regex alternation does not escape its field', match: { type: 'RegularExpression', service: 'a\\.Foo|a\\.Bar' }, path: '/a.Foo', want: false },
  { name: 'regex method alternation', match: { type: 'RegularExpression', service: 'a\\.Foo', method: 'Get|List' }, path: '/a.Foo/Get', want: true },
  { name: 'regex method alternation, other service', match: { type: 'RegularExpression', service: 'a\\.Foo', method: 'Get|List' }, path: '/b.Foo/List', want: false },
  { name: 'regex method only', match: { type: 'RegularExpression', method: 'List.*' }, path: '/a.B/ListAll', want: true },
]

for (const c of cases) {
  test(`GRPCRoute method match: ${c.name}`, () => assert.equal(matches(c.match, c.path), c.want))
}
