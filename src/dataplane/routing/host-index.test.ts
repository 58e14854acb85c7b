import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HostIndex, normalizeHost } from './host-index.js'

test('normalizeHost lower-cases and strips port and trailing dot', () => {
  const cases = [
    { input: 'example.com', want: 'example.com' },
    { input: 'Example.COM', want: 'example.com' },
    { input: 'example.com:8080', want: 'example.com' },
    { input: 'EXAMPLE.com.:80', want: 'example.com' },
    { input: '[::1]:8080', want: '[::1]' },
    { input: '[::1]', want: '[::1]' },
    { input: '127.0.0.1:3000', want: '127.0.0.1' },
    { input: '', want: '' },
  ]
  for (const c of cases) assert.equal(normalizeHost(c.input), c.want, c.input)
})

test('HostIndex rejects duplicate host groups', () => {
  const idx = new HostIndex<number>()
  idx.add('a.com', 1)
  idx.add('*.a.com', 2)
  idx.add('*', 3)
  assert.throws(() => idx.add('A.com', 4))
  assert.throws(() => idx.add('*.a.com', 5))
  assert.throws(() => idx.add('*', 6))
})
