import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearerToken, cookieValue, extractToken } from './token-extract.js'

const BEARER = { headers: [], cookies: [] }

test('extractToken: where each provider looks for a token', () => {
  const cases: { name: string; headers: Record<string, string>; at: { headers: string[]; cookies: string[] }; want: string | null }[] = [
    { name: 'Authorization: Bearer by default', headers: { authorization: 'Bearer abc.def.ghi' }, at: BEARER, want: 'abc.def.ghi' },
    { name: 'the scheme is case-insensitive', headers: { authorization: 'bEaReR abc' }, at: BEARER, want: 'abc' },
    { name: 'another scheme is no token', headers: { authorization: 'Basic dXNlcjpwdw==' }, at: BEARER, want: null },
    { name: 'an empty bearer is no token', headers: { authorization: 'Bearer    ' }, at: BEARER, want: null },
    { name: 'no header', headers: {}, at: BEARER, want: null },
    { name: 'fromHeaders: the raw value', headers: { 'x-token': 'tok' }, at: { headers: ['x-token'], cookies: [] }, want: 'tok' },
    { name: 'fromHeaders: a Bearer prefix is dropped', headers: { 'x-token': 'Bearer tok' }, at: { headers: ['x-token'], cookies: [] }, want: 'tok' },
    { name: 'fromHeaders: Authorization is not read then', headers: { authorization: 'Bearer a' }, at: { headers: ['x-token'], cookies: [] }, want: null },
    { name: 'fromHeaders: the first listed header present wins', headers: { 'x-b': 'b', 'x-a': 'a' }, at: { headers: ['x-a', 'x-b'], cookies: [] }, want: 'a' },
    { name: 'fromCookies', headers: { cookie: 'theme=dark; session=tok; other=1' }, at: { headers: [], cookies: ['session'] }, want: 'tok' },
    { name: 'fromCookies: quoted value', headers: { cookie: 'session="tok"' }, at: { headers: [], cookies: ['session'] }, want: 'tok' },
    { name: 'fromCookies: a name that only ends the same does not match', headers: { cookie: 'xsession=tok' }, at: { headers: [], cookies: ['session'] }, want: null },
    { name: 'headers before cookies', headers: { cookie: 'session=c', 'x-token': 'h' }, at: { headers: ['x-token'], cookies: ['session'] }, want: 'h' },
  ]
  for (const c of cases) assert.equal(extractToken(c.headers, c.at), c.want, c.name)
})

test('bearerToken and cookieValue edge cases', () => {
  assert.equal(bearerToken(undefined), null)
  assert.equal(bearerToken('Bearer'), null)
  assert.equal(bearerToken('Bearer x '), 'x')
  assert.equal(cookieValue('a=1;b=2', 'b'), '2')
  assert.equal(cookieValue('a=1; a=2', 'a'), '1', 'the first cookie of a name wins')
  assert.equal(cookieValue('a=', 'a'), null)
  assert.equal(cookieValue('novalue; a=1', 'a'), '1')
})
