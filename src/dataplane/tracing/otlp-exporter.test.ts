import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { OtlpExporter, type FinishedSpan } from './otlp-exporter.js'

const span = (i: number): FinishedSpan => ({
  traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), parentSpanId: null, name: 's', kind: 2,
  startNs: 1n, endNs: 2n, error: false, attributes: [],
})

test('a collector that hangs up mid-answer does not stop later exports', async () => {
  let requests = 0
  // Answers each request with a head promising 100 bytes, sends 2, then closes the connection.
  const srv = createServer(s => s.once('data', () => { requests++; s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nab') }))
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r))
  const exporter = new OtlpExporter(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1/traces`, { 'service.name': 't' }, () => {})
  try {
    for (let i = 0; i < 256; i++) exporter.add(span(i))          // a full batch: sent at once
    const deadline = Date.now() + 5000
    while (exporter.dropped < 256 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
    assert.equal(exporter.dropped, 256, 'the cut-off batch counts as dropped')
    for (let i = 0; i < 256; i++) exporter.add(span(1000 + i))
    while (requests < 2 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
    assert.equal(requests, 2, 'the next batch is sent: the exporter is not stuck')
    assert.equal(exporter.exported, 0)
  } finally { exporter.close(); srv.close() }
})
