import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatGrpcTimeout, grpcStatusFor, isGrpc, parseGrpcTimeout } from './grpc-status.js'

test('grpc-timeout parsing', () => {
  const cases: [string | undefined, number | null][] = [
    ['1H', 3_600_000], ['2M', 120_000], ['5S', 5000], ['250m', 250], ['1500u', 2], ['2000000n', 2],
    [undefined, null], ['', null], ['m', null], ['10x', null], ['-5m', null], ['1234567890S', null], ['1.5S', null],
  ]
  for (const [input, want] of cases) assert.equal(parseGrpcTimeout(input), want, String(input))
  const formats: [number, string][] = [
    [249.7, '249m'], [-3, '0m'], [99_999_999, '99999999m'],
    [100_000_000, '100000S'], [120_000_000, '120000S'],            // past 8 digits of ms: seconds
    [1e11, '1666666M'], [6e12, '1666666H'], [1e20, '99999999H'],
  ]
  for (const [ms, want] of formats) {
    assert.equal(formatGrpcTimeout(ms), want, String(ms))
    assert.ok(parseGrpcTimeout(want) !== null, `${want} reads back`)
  }
})

test('mesh reasons map to gRPC statuses', () => {
  assert.equal(grpcStatusFor('no_route'), 12)
  assert.equal(grpcStatusFor('unavailable'), 14)
  assert.equal(grpcStatusFor('timeout'), 4)
  assert.equal(grpcStatusFor('denied'), 7)
  assert.equal(isGrpc('application/grpc+proto'), true)
  assert.equal(isGrpc('application/json'), false)
})
