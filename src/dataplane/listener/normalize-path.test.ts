import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizePath, type PathRules } from './normalize-path.js'

const STRICT: PathRules = { allowEncodedSlashes: false, allowBackslashes: false, allowSemicolons: false }
const LENIENT: PathRules = { allowEncodedSlashes: true, allowBackslashes: true, allowSemicolons: true }

type Want = { path: string; query: string | null } | { error: RegExp }

const cases: { name: string; input: string; rules?: PathRules; want: Want }[] = [
  // plain paths and the query split
  { name: 'root', input: '/', want: { path: '/', query: null } },
  { name: 'plain', input: '/api/v1/orders', want: { path: '/api/v1/orders', query: null } },
  { name: 'query', input: '/a?b=1&c=%2F', want: { path: '/a', query: 'b=1&c=%2F' } },
  { name: 'empty query', input: '/a?', want: { path: '/a', query: '' } },
  { name: 'query split at first ?', input: '/a?b=?c', want: { path: '/a', query: 'b=?c' } },
  { name: 'query is not normalized', input: '/a/../b?x=/../;', want: { path: '/b', query: 'x=/../;' } },
  { name: 'trailing slash kept', input: '/a/b/', want: { path: '/a/b/', query: null } },
  { name: 'dot inside a segment is fine', input: '/file.tar.gz', want: { path: '/file.tar.gz', query: null } },
  { name: 'dotfile segment', input: '/.well-known/acme', want: { path: '/.well-known/acme', query: null } },
  { name: 'three dots are a name', input: '/a/.../b', want: { path: '/a/.../b', query: null } },
  // absolute form
  { name: 'absolute form', input: 'http://example.com/a/b?x=1', want: { path: '/a/b', query: 'x=1' } },
  { name: 'absolute form, upper-case scheme and port', input: 'HTTPS://example.com:8443/a', want: { path: '/a', query: null } },
  { name: 'absolute form without path', input: 'http://example.com', want: { path: '/', query: null } },
  { name: 'absolute form without path, with query', input: 'http://example.com?x', want: { path: '/', query: 'x' } },
  { name: 'absolute form is normalized too', input: 'http://h/a/../../etc', want: { path: '/etc', query: null } },
  // not origin form
  { name: 'empty', input: '', want: { error: /start with/ } },
  { name: 'asterisk form', input: '*', want: { error: /start with/ } },
  { name: 'relative', input: 'a/b', want: { error: /start with/ } },
  { name: 'authority form', input: 'example.com:443', want: { error: /start with/ } },
  { name: 'fragment', input: '/a#frag', want: { error: /fragment/ } },
  // dot segments (RFC 3986 5.2.4) and slashes
  { name: 'traversal', input: '/a/../../etc/passwd', want: { path: '/etc/passwd', query: null } },
  { name: 'dot', input: '/a/./b', want: { path: '/a/b', query: null } },
  { name: 'trailing dot', input: '/a/.', want: { path: '/a/', query: null } },
  { name: 'trailing dot-dot', input: '/a/b/..', want: { path: '/a/', query: null } },
  { name: 'dot-dot above root', input: '/..', want: { path: '/', query: null } },
  { name: 'encoded dot-dot', input: '/%2e%2e/x', want: { path: '/x', query: null } },
  { name: 'mixed-case encoded dots', input: '/a/%2E%2e/%2e/b', want: { path: '/b', query: null } },
  { name: 'half-encoded dot-dot', input: '/a/.%2e/b', want: { path: '/b', query: null } },
  { name: 'leading double slash', input: '//x', want: { path: '/x', query: null } },
  { name: 'repeated slashes', input: '/a///b//', want: { path: '/a/b/', query: null } },
  { name: 'double slash then traversal', input: '/a//../b', want: { path: '/b', query: null } },
  // percent-encoding
  { name: 'unreserved decoded', input: '/%41%7a%30%2D%5f%7E', want: { path: '/Az0-_~', query: null } },
  { name: 'reserved kept, hex upper-cased', input: '/a%3fb%20c%e2%82%ac', want: { path: '/a%3Fb%20c%E2%82%AC', query: null } },
  { name: 'no double decoding', input: '/%252e%252e/x', want: { path: '/%252e%252e/x', query: null } },
  { name: 'percent itself kept', input: '/100%25', want: { path: '/100%25', query: null } },
  { name: 'malformed escape', input: '/%zz', want: { error: /malformed/ } },
  { name: 'truncated escape', input: '/a%2', want: { error: /malformed/ } },
  { name: 'escape cut by the query', input: '/a%2?x', want: { error: /malformed/ } },
  { name: 'bare percent', input: '/a%', want: { error: /malformed/ } },
  // control characters
  { name: 'encoded NUL', input: '/a%00b', want: { error: /control/ } },
  { name: 'encoded newline', input: '/a%0ab', want: { error: /control/ } },
  { name: 'encoded DEL', input: '/a%7Fb', want: { error: /control/ } },
  { name: 'raw NUL', input: '/a\u0000b', want: { error: /control/ } },
  { name: 'raw tab', input: '/a\tb', want: { error: /control/ } },
  { name: 'raw space', input: '/a b', want: { error: /control/ } },
  { name: 'raw DEL', input: '/a\u007fb', want: { error: /control/ } },
  // separators the policy decides on
  { name: 'semicolon', input: '/a;b', want: { error: /semicolon/ } },
  { name: 'backslash', input: '/a\\b', want: { error: /backslash/ } },
  { name: 'encoded backslash', input: '/a%5cb', want: { error: /backslash/ } },
  { name: 'encoded slash', input: '/a%2fb', want: { error: /encoded slash/ } },
  { name: 'encoded slash, upper', input: '/a%2Fb', want: { error: /encoded slash/ } },
  { name: 'semicolon allowed', input: '/a;jsessionid=1/b', rules: LENIENT, want: { path: '/a;jsessionid=1/b', query: null } },
  { name: 'backslash allowed', input: '/a\\b', rules: LENIENT, want: { path: '/a\\b', query: null } },
  { name: 'encoded slash allowed stays encoded', input: '/a%2fb/../c', rules: LENIENT, want: { path: '/c', query: null } },
  { name: 'encoded slash allowed, upper-cased', input: '/a%2fb', rules: LENIENT, want: { path: '/a%2Fb', query: null } },
  { name: 'encoded backslash allowed', input: '/a%5cb', rules: LENIENT, want: { path: '/a%5Cb', query: null } },
  { name: 'allowed but not this one', input: '/a;b', rules: { ...STRICT, allowBackslashes: true }, want: { error: /semicolon/ } },
  // dot segments hidden behind allowed separators
  { name: '..; (Tomcat)', input: '/public/..;/admin', rules: LENIENT, want: { error: /ambiguous/ } },
  { name: '..\\', input: '/public/..\\admin', rules: LENIENT, want: { error: /ambiguous/ } },
  { name: '..%2F', input: '/public/..%2Fadmin', rules: LENIENT, want: { error: /ambiguous/ } },
  { name: 'encoded ..%5C', input: '/a/%2e%2e%5cb', rules: LENIENT, want: { error: /ambiguous/ } },
  { name: 'dots around ; that are names', input: '/a.b;c.d', rules: LENIENT, want: { path: '/a.b;c.d', query: null } },
]

test('normalizePath', () => {
  for (const c of cases) {
    const got = normalizePath(c.input, c.rules ?? STRICT)
    if ('error' in c.want) {
      assert.ok('error' in got, `${c.name}: want error, got ${JSON.stringify(got)}`)
      assert.match(got.error, c.want.error, c.name)
    } else {
      assert.deepEqual(got, c.want, c.name)
    }
  }
})

test('normalizePath fast path returns the input itself', () => {
  const input = '/api/v1/orders/42'
  const got = normalizePath(input, STRICT)
  assert.ok(!('error' in got))
  assert.equal(got.path, input)
})

test('normalizePath is idempotent on its output', () => {
  for (const c of cases) {
    const once = normalizePath(c.input, c.rules ?? STRICT)
    if ('error' in once) continue
    const twice = normalizePath(once.path, c.rules ?? STRICT)
    assert.deepEqual(twice, { path: once.path, query: null }, c.name)
  }
})
