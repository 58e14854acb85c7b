import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration } from './duration.js'

const cases: { input: unknown; want: number | null }[] = [
  { input: '250ms', want: 250 },
  { input: '5s', want: 5000 },
  { input: '1m', want: 60_000 },
  { input: '1h', want: 3_600_000 },
  { input: '1.5s', want: 1500 },
  { input: '0s', want: 0 },
  { input: '1m30s', want: 90_000 },
  { input: '0.5ms', want: 1 },
  { input: 25, want: null },
  { input: '25', want: null },
  { input: '', want: null },
  { input: '5 s', want: null },
  { input: '-1s', want: null },
  { input: '1d', want: null },
  { input: '5S', want: null },
  { input: '.5s', want: null },
  { input: null, want: null },
  { input: ['5s'], want: null },
]

for (const c of cases) {
  test(`parseDuration(${JSON.stringify(c.input)})`, () => {
    assert.equal(parseDuration(c.input), c.want)
  })
}
