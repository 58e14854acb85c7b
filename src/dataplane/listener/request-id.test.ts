import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requestId } from './request-id.js'

test('request ids are random v4 UUIDs, distinct across batches', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 1000; i++) {                     // several batches of 128
    const id = requestId()
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    seen.add(id)
  }
  assert.equal(seen.size, 1000)
})
