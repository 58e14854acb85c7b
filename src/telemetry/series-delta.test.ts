import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProxyMetrics } from './proxy-metrics.js'
import { takeStats } from './series-delta.js'

test('a report carries only what happened since the previous one, and nothing when idle', () => {
  const m = new ProxyMetrics()
  const s = m.requestSeries({ listener: 'outbound|default/api', route: 'default/r', backend: 'default/api' })
  s.observe(200, 3); s.observe(503, 40)
  const first = takeStats(m).deltas
  assert.equal(first.length, 1)
  assert.deepEqual(first[0].classes, [0, 0, 1, 0, 0, 1])
  assert.equal(first[0].caller, null)
  assert.equal(first[0].buckets.reduce((a, b) => a + b, 0), 2)
  assert.equal(first[0].sumMs, 43)
  assert.deepEqual(takeStats(m).deltas, [])
  s.observe(404, 1)
  assert.deepEqual(takeStats(m).deltas[0].classes, [0, 0, 0, 0, 1, 0])
})

test('an undone report goes out with the next one', () => {
  const m = new ProxyMetrics()
  const s = m.requestSeries({ listener: 'l', route: 'r', backend: 'b' })
  s.observe(200, 1)
  takeStats(m).undo()                       // the report failed
  s.observe(200, 1)
  const next = takeStats(m).deltas
  assert.deepEqual(next[0].classes, [0, 0, 2, 0, 0, 0])
})

test('inbound series are split by caller; plaintext callers share one', () => {
  const m = new ProxyMetrics()
  const by = m.callerSeries({ listener: 'inbound', route: 'inbound', backend: 'local/app' })
  by.get('spiffe://td/ns/default/sa/web').observe(200, 1)
  by.get('spiffe://td/ns/default/sa/web').observe(500, 1)
  by.get(null).observe(200, 1)
  const deltas = takeStats(m).deltas.map(d => [d.caller, d.classes[2] + d.classes[5]])
  assert.deepEqual(deltas, [['spiffe://td/ns/default/sa/web', 2], ['', 1]])
  assert.match(m.render(), /trellis_requests_total\{listener="inbound",route="inbound",backend="local\/app",caller="spiffe:\/\/td\/ns\/default\/sa\/web",status_class="5xx"\} 1/)
})
