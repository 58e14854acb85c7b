import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import type { HostRoutesIR, PathMatchIR, RouteEntryIR, ValueMatchIR } from '../../ir/route.js'
import { compileRouteTable } from './route-table.js'

interface EntrySpec {
  name: string
  path?: PathMatchIR
  method?: string
  headers?: ValueMatchIR[]
  queryParams?: ValueMatchIR[]
}

function entry(s: EntrySpec): RouteEntryIR {
  return {
    route: `default/${s.name}`, rule: 0, match: 0,
    path: s.path ?? { type: 'PathPrefix', value: '/' },
    method: s.method ?? null, headers: s.headers ?? [], queryParams: s.queryParams ?? [],
    filters: [], backends: [], timeouts: { requestMs: null, backendRequestMs: 0 }, retry: null, fault: null,
  }
}

const prefix = (value: string): PathMatchIR => ({ type: 'PathPrefix', value })
const exact = (value: string): PathMatchIR => ({ type: 'Exact', value })
const regex = (value: string): PathMatchIR => ({ type: 'RegularExpression', value })
const hdr = (name: string, value: string, type: 'Exact' | 'RegularExpression' = 'Exact'): ValueMatchIR => ({ type, name, value })

interface Req { host?: string; path: string; query?: string | null; method?: string; headers?: IncomingHttpHeaders }

function matcher(hosts: { hostname: string; entries: EntrySpec[] }[]) {
  const table = { hosts: hosts.map((h): HostRoutesIR => ({ hostname: h.hostname, entries: h.entries.map(entry) })) }
  const m = compileRouteTable(table, e => e.route.slice('default/'.length))
  return (r: Req) => m.match(r.host ?? 'example.com', r.path, r.query ?? null, r.method ?? 'GET', r.headers ?? {})
}

test('path prefix uses segment semantics (Gateway API PathPrefix)', () => {
  const cases = [
    { prefix: '/abc', path: '/abc', want: true },
    { prefix: '/abc', path: '/abc/', want: true },
    { prefix: '/abc', path: '/abc/def', want: true },
    { prefix: '/abc', path: '/abcd', want: false },
    { prefix: '/abc', path: '/ab', want: false },
    { prefix: '/abc/', path: '/abc', want: true },            // trailing slash in the prefix is ignored
    { prefix: '/abc/', path: '/abc/def', want: true },
    { prefix: '/abc/', path: '/abcd', want: false },
    { prefix: '/', path: '/', want: true },
    { prefix: '/', path: '/anything/at/all', want: true },
    { prefix: '/a/b', path: '/a/b/c', want: true },
    { prefix: '/a/b', path: '/a/bc', want: false },
    { prefix: '/a/b', path: '/a', want: false },
  ]
  for (const c of cases) {
    const match = matcher([{ hostname: '*', entries: [{ name: 'r', path: prefix(c.prefix) }] }])
    assert.equal(match({ path: c.path }) === 'r', c.want, `${c.prefix} vs ${c.path}`)
  }
})

test('exact and regular-expression paths', () => {
  const cases = [
    { m: exact('/foo'), path: '/foo', want: true },
    { m: exact('/foo'), path: '/foo/', want: false },
    { m: exact('/foo'), path: '/FOO', want: false },
    { m: regex('/foo/[0-9]+'), path: '/foo/123', want: true },
    { m: regex('/foo/[0-9]+'), path: '/foo/123/bar', want: false },    // full match, not search
    { m: regex('/foo/[0-9]+'), path: '/x/foo/123', want: false },
    { m: regex('/a|/b'), path: '/a', want: true },                     // alternation stays anchored
    { m: regex('/a|/b'), path: '/ab', want: false },
    { m: regex('/a|/b'), path: '/xb', want: false },
  ]
  for (const c of cases) {
    const match = matcher([{ hostname: '*', entries: [{ name: 'r', path: c.m }] }])
    assert.equal(match({ path: c.path }) === 'r', c.want, `${c.m.type} ${c.m.value} vs ${c.path}`)
  }
})

test('first fully matching entry wins; the exact-path index keeps that order', () => {
  // As the compiler sorts them: exact with a header, then the longer prefix, then a plain exact
  // entry that sorts after a prefix (e.g. an older route) — order is the only truth.
  const match = matcher([{ hostname: '*', entries: [
    { name: 'exact-canary', path: exact('/foo'), headers: [hdr('x-canary', '1')] },
    { name: 'prefix-foo-bar', path: prefix('/foo/bar') },
    { name: 'prefix-foo', path: prefix('/foo') },
    { name: 'exact-foo-late', path: exact('/foo') },
    { name: 'regex', path: regex('/r/.*') },
    { name: 'post-only', method: 'POST' },
    { name: 'catch-all' },
  ] }])
  const cases = [
    { name: 'exact with header', req: { path: '/foo', headers: { 'x-canary': '1' } }, want: 'exact-canary' },
    { name: 'exact without header falls to prefix', req: { path: '/foo' }, want: 'prefix-foo' },
    { name: 'longest prefix first', req: { path: '/foo/bar/baz' }, want: 'prefix-foo-bar' },
    { name: 'shorter prefix', req: { path: '/foo/baz' }, want: 'prefix-foo' },
    { name: 'regex', req: { path: '/r/x' }, want: 'regex' },
    { name: 'method', req: { path: '/other', method: 'POST' }, want: 'post-only' },
    { name: 'catch-all', req: { path: '/other' }, want: 'catch-all' },
  ]
  for (const c of cases) assert.equal(match(c.req), c.want, c.name)
})

test('hosts: exact, wildcard (longest suffix first), then any; case and port ignored', () => {
  const match = matcher([
    { hostname: 'foo.example.com', entries: [{ name: 'foo', path: prefix('/foo') }] },
    { hostname: '*.example.com', entries: [{ name: 'wild' }] },
    { hostname: '*.bar.example.com', entries: [{ name: 'wild-bar' }] },
    { hostname: '*', entries: [{ name: 'any', path: prefix('/any') }] },
  ])
  const cases = [
    { host: 'foo.example.com', path: '/foo', want: 'foo' },
    { host: 'FOO.Example.COM:8443', path: '/foo', want: 'foo' },
    { host: 'foo.example.com.', path: '/foo', want: 'foo' },
    { host: 'foo.example.com', path: '/x', want: 'wild' },        // no match in the exact group: falls through
    { host: 'a.example.com', path: '/x', want: 'wild' },
    { host: 'a.b.example.com', path: '/x', want: 'wild' },        // wildcard covers several labels
    { host: 'a.bar.example.com', path: '/x', want: 'wild-bar' },  // longest suffix first
    { host: 'example.com', path: '/x', want: null },              // `*.example.com` needs a label
    { host: 'example.com', path: '/any/1', want: 'any' },
    { host: 'other.org', path: '/any', want: 'any' },
    { host: 'other.org', path: '/nope', want: null },
    { host: '[::1]:8080', path: '/any', want: 'any' },
  ]
  for (const c of cases) assert.equal(match({ host: c.host, path: c.path }), c.want, `${c.host} ${c.path}`)
})

test('no any-host group: unknown hosts match nothing', () => {
  const match = matcher([{ hostname: 'api.example.com', entries: [{ name: 'api' }] }])
  assert.equal(match({ host: 'api.example.com', path: '/' }), 'api')
  assert.equal(match({ host: 'www.example.com', path: '/' }), null)
})

test('headers and query params are ANDed within a match', () => {
  const match = matcher([{ hostname: '*', entries: [
    { name: 'both', path: prefix('/api'), method: 'GET',
      headers: [hdr('X-Canary', '1'), hdr('x-version', 'v[0-9]+', 'RegularExpression')],
      queryParams: [hdr('beta', 'true')] },
    { name: 'fallback', path: prefix('/api') },
  ] }])
  const good = { 'x-canary': '1', 'x-version': 'v2' }
  const cases = [
    { name: 'all match', req: { path: '/api/x', headers: good, query: 'beta=true' }, want: 'both' },
    { name: 'header name case-insensitive', req: { path: '/api', headers: good, query: 'a=1&beta=true' }, want: 'both' },
    { name: 'header value is case-sensitive', req: { path: '/api', headers: { ...good, 'x-canary': 'ONE' }, query: 'beta=true' }, want: 'fallback' },
    { name: 'regex header is a full match', req: { path: '/api', headers: { ...good, 'x-version': 'v2-beta' }, query: 'beta=true' }, want: 'fallback' },
    { name: 'missing header', req: { path: '/api', headers: { 'x-canary': '1' }, query: 'beta=true' }, want: 'fallback' },
    { name: 'missing query', req: { path: '/api', headers: good }, want: 'fallback' },
    { name: 'wrong query value', req: { path: '/api', headers: good, query: 'beta=false' }, want: 'fallback' },
    { name: 'first occurrence counts', req: { path: '/api', headers: good, query: 'beta=false&beta=true' }, want: 'fallback' },
    { name: 'query name case-sensitive', req: { path: '/api', headers: good, query: 'BETA=true' }, want: 'fallback' },
    { name: 'wrong method', req: { path: '/api', headers: good, query: 'beta=true', method: 'POST' }, want: 'fallback' },
    { name: 'repeated header values joined', req: { path: '/api', headers: { ...good, 'x-canary': ['1', '2'] }, query: 'beta=true' }, want: 'fallback' },
  ]
  for (const c of cases) assert.equal(match(c.req), c.want, c.name)
})

test('repeated header values are matched joined with ", "', () => {
  const match = matcher([{ hostname: '*', entries: [{ name: 'r', headers: [hdr('x-a', '1, 2')] }] }])
  assert.equal(match({ path: '/', headers: { 'x-a': ['1', '2'] } }), 'r')
})

test('an invalid regex is a broken invariant and throws at compile time', () => {
  assert.throws(() => matcher([{ hostname: '*', entries: [{ name: 'r', path: regex('(') }] }]),
    /invalid regular expression in route default\/r/)
})

test('build runs once per entry at compile time', () => {
  let calls = 0
  const m = compileRouteTable({ hosts: [{ hostname: '*', entries: [entry({ name: 'a' }), entry({ name: 'b' })] }] },
    e => { calls++; return e.route })
  for (let i = 0; i < 10; i++) m.match('x', '/', null, 'GET', {})
  assert.equal(calls, 2)
})
