// ReplacePrefixMatch and ReplaceFullPath, with the Gateway API specification's own prefix table
// (HTTPPathModifier.ReplacePrefixMatch), and the host part of a redirect's Location.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pathModifier } from './url-rewrite.js'
import { hostWithoutPort } from './request-redirect.js'

const cases = [
  // request path, matched prefix, replacement, want
  { path: '/foo/bar', prefix: '/foo', replace: '/xyz', want: '/xyz/bar' },
  { path: '/foo/bar', prefix: '/foo', replace: '/xyz/', want: '/xyz/bar' },
  { path: '/foo/bar', prefix: '/foo/', replace: '/xyz', want: '/xyz/bar' },
  { path: '/foo/bar', prefix: '/foo/', replace: '/xyz/', want: '/xyz/bar' },
  { path: '/foo', prefix: '/foo', replace: '/xyz', want: '/xyz' },
  { path: '/foo/', prefix: '/foo', replace: '/xyz', want: '/xyz/' },
  { path: '/foo/', prefix: '/foo', replace: '/', want: '/' },
  { path: '/foo', prefix: '/foo', replace: '/', want: '/' },
  { path: '/foo/bar', prefix: '/foo', replace: '/', want: '/bar' },
  { path: '/a/b/c', prefix: '/', replace: '/x', want: '/x/a/b/c' },
]

test('ReplacePrefixMatch follows the specification table', () => {
  for (const c of cases) {
    const f = pathModifier({ type: 'ReplacePrefixMatch', value: c.replace }, { type: 'PathPrefix', value: c.prefix })
    assert.equal(f(c.path), c.want, `${c.path} with prefix ${c.prefix} → ${c.replace}`)
  }
})

test('ReplaceFullPath replaces the whole path', () => {
  const f = pathModifier({ type: 'ReplaceFullPath', value: '/new' }, { type: 'PathPrefix', value: '/old' })
  assert.equal(f('/old/deep/path'), '/new')
})

test('the host of a redirect drops the port, IPv6 brackets kept', () => {
  for (const [host, want] of [['a.example.com', 'a.example.com'], ['a.example.com:8080', 'a.example.com'], ['[::1]:80', '[::1]'], ['[::1]', '[::1]']]) {
    assert.equal(hostWithoutPort(host), want)
  }
})
