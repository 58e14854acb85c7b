import { test } from 'node:test'
import assert from 'node:assert/strict'
import { servingStatus } from './grpc-health.js'

const frame = (bytes: number[]) => Buffer.from([0, 0, 0, 0, bytes.length, ...bytes])

test('HealthCheckResponse status decoding', () => {
  assert.equal(servingStatus(frame([0x08, 0x01])), 1)          // SERVING
  assert.equal(servingStatus(frame([0x08, 0x02])), 2)          // NOT_SERVING
  assert.equal(servingStatus(frame([])), 0)                    // absent = UNKNOWN
  assert.equal(servingStatus(frame([0x12, 0x01, 0x41, 0x08, 0x01])), 1) // unknown length-delimited field skipped
  assert.equal(servingStatus(Buffer.from([1, 0, 0, 0, 0])), -1)  // compressed flag: not understood
  assert.equal(servingStatus(Buffer.from([0, 0, 0, 0, 9, 8])), -1) // truncated
  assert.equal(servingStatus(Buffer.alloc(2)), -1)
})
