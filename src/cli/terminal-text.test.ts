import { test } from 'node:test'
import assert from 'node:assert/strict'
import { terminalSafe } from './terminal-text.js'

const cases = [
  { name: 'plain text is kept', input: 'default/orders-route', want: 'default/orders-route' },
  { name: 'non-ASCII letters are kept', input: '/café/日本', want: '/café/日本' },
  { name: 'ESC sequences are escaped', input: 'r\u001b[2J\u001b]0;pwned\u0007', want: 'r\\x1b[2J\\x1b]0;pwned\\x07' },
  { name: 'C1 CSI is escaped', input: 'r\u009b31mred', want: 'r\\x9b31mred' },
  { name: 'CR, LF and DEL are escaped', input: 'a\r\nb\u007f', want: 'a\\x0d\\x0ab\\x7f' },
]

for (const c of cases) test(c.name, () => assert.equal(terminalSafe(c.input), c.want))

test('a tap line shows a route name an app sent escaped, not as terminal controls', async () => {
  const { formatTapRequest } = await import('./tap-run.js')
  const line = formatTapRequest({
    type: 'request', time: '2026-01-01T00:00:00.000Z', method: 'GET', path: '/items/1', status: 200, latencyMs: 1.5,
    route: 'default/api-mesh\u009b2K\u001b]0;owned\u0007', reason: null,
    source: { identity: 'spiffe://trellis.local/ns/default/sa/web', address: '127.0.0.1' },
    destination: { service: 'default/api', instance: 'default/api/0', identity: 'spiffe://trellis.local/ns/default/sa/api' },
  }, false)
  assert.equal(line.slice(0, -1).match(/[\u0000-\u001f\u007f-\u009f]/), null)
  assert.match(line, /route=default\/api-mesh\\x9b2K\\x1b\]0;owned\\x07\n$/)
})
