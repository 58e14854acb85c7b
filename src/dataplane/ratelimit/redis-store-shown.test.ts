// A Redis store URL may carry a password (redis://:PASSWORD@HOST:PORT), which the client uses; the
// proxy's /metrics and logs show the store without it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { RateLimitState } from './rate-limiter.js'

test('the store label and log lines leave out the password of a Redis URL', async () => {
  // A port that accepts and closes at once: the client fails for real, and says so in the log.
  const server = createServer(s => s.destroy())
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const lines: string[] = []
  const state = new RateLimitState(line => lines.push(line))
  try {
    state.redisFor(`redis://user:s3cret@127.0.0.1:${port}/2`)
    while (lines.length === 0) await new Promise(r => setTimeout(r, 20))
    const metrics = state.metricsText()
    assert.match(metrics, new RegExp(`trellis_rate_limit_redis_ready\\{store="redis://127\\.0\\.0\\.1:${port}/2"\\} 0`))
    assert.doesNotMatch(metrics, /s3cret/)
    for (const l of lines) assert.doesNotMatch(l, /s3cret/, l)
    assert.match(lines[0], new RegExp(`Redis redis://127\\.0\\.0\\.1:${port}/2 unreachable`))
  } finally {
    state.close()
    server.close()
  }
})
