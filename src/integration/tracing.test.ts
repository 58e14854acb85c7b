// Tracing on real sockets: W3C traceparent started at the gateway or continued, one span per hop
// exported over OTLP/HTTP JSON to a local collector, parent links across gateway → sidecar → app
// and sidecar → sidecar, unsampled traces propagated but not recorded.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TestMesh } from './harness/mesh.js'
import { eventually, get } from './harness/http.js'
import { docs, gateway, httpRoute, resource, service, workload } from './harness/fixtures.js'
import { freePort } from '../supervisor/free-port.js'

interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: { key: string; value: { stringValue?: string; intValue?: string } }[] }
const received: { service: string; span: Span }[] = []
let collector: Server
const mesh = new TestMesh()
let gw = '', webApi = ''

const config = (gwPort: number, endpoint: string, sampling: number) => docs(
  service('api'), workload('api'), workload('web', { upstreams: ['api'] }),
  gateway('edge', gwPort), httpRoute('edge-api', ['edge'], 'api'),
  resource('Mesh', 'default', `{ tracing: { sampling: ${sampling}, otlp: { endpoint: "${endpoint}" } } }`),
)
let gwPort = 0, endpoint = ''

before(async () => {
  collector = createServer((req, res) => {
    let body = ''
    req.on('data', c => { body += c })
    req.on('end', () => {
      for (const rs of JSON.parse(body).resourceSpans) {
        const svc = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name').value.stringValue
        for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ service: svc, span })
      }
      res.end('{}')
    })
  })
  await new Promise<void>(r => collector.listen(0, '127.0.0.1', r))
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`
  gwPort = await freePort()
  await mesh.start()
  await mesh.apply(config(gwPort, endpoint, 100))
  const web = (await mesh.replica('web', 0)).sidecar
  await mesh.replica('api', 0)
  await mesh.gateway('edge')
  await mesh.settled()
  gw = `http://127.0.0.1:${gwPort}`
  webApi = `http://127.0.0.1:${web.outboundPort('default/api')}`
})
after(async () => { await mesh.stop(); collector.close() })

const spansOf = (traceId: string) => received.filter(r => r.span.traceId === traceId)
const parentOf = (tp: string) => tp.split('-')

test('the gateway starts a trace; each hop records a span whose parent is the hop before', async () => {
  const r = await get(`${gw}/start`)
  assert.equal(r.status, 200)
  const [, traceId, appParent, flags] = parentOf(r.json().headers.traceparent)
  assert.equal(flags, '01')
  const spans = await eventually('two spans exported', async () => { const s = spansOf(traceId); return s.length >= 2 ? s : null })
  const edge = spans.find(s => s.service === 'gateway:default/edge')!, inbound = spans.find(s => s.service === 'default/api')!
  assert.equal(edge.span.parentSpanId, undefined, 'the root span')
  assert.equal(edge.span.kind, 2)
  assert.equal(inbound.span.parentSpanId, edge.span.spanId)
  assert.equal(inbound.span.spanId, appParent, 'the app is told the inbound span as its parent')
  const attrs = Object.fromEntries(inbound.span.attributes.map(a => [a.key, a.value.stringValue ?? a.value.intValue]))
  assert.equal(attrs['http.response.status_code'], '200')
  assert.equal(attrs['url.path'], '/start')
  assert.equal(attrs['trellis.peer.identity'], 'spiffe://trellis.local/ns/default/sa/gateway-edge')
})

test('an incoming trace continues; a sidecar\'s outbound hop is a client span', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736', parent = '00f067aa0ba902b7'
  const r = await get(`${webApi}/continue`, { traceparent: `00-${traceId}-${parent}-01` })
  assert.equal(parentOf(r.json().headers.traceparent)[1], traceId)
  const spans = await eventually('two spans exported', async () => { const s = spansOf(traceId); return s.length >= 2 ? s : null })
  const out = spans.find(s => s.service === 'default/web')!, inbound = spans.find(s => s.service === 'default/api')!
  assert.equal(out.span.kind, 3)
  assert.equal(out.span.parentSpanId, parent)
  assert.equal(inbound.span.parentSpanId, out.span.spanId)
  const route = out.span.attributes.find(a => a.key === 'trellis.listener')?.value.stringValue
  assert.equal(route, 'outbound|default/api')
})

test('an unsampled trace is propagated but not recorded; a malformed traceparent starts a new trace', async () => {
  const traceId = 'a'.repeat(31) + 'b'
  const r = await get(`${gw}/quiet`, { traceparent: `00-${traceId}-${'c'.repeat(16)}-00` })
  const [, seen, , flags] = parentOf(r.json().headers.traceparent)
  assert.equal(seen, traceId)
  assert.equal(flags, '00')
  const bad = await get(`${gw}/bad`, { traceparent: 'not-a-trace' })
  const fresh = parentOf(bad.json().headers.traceparent)[1]
  assert.match(fresh, /^[0-9a-f]{32}$/)
  await eventually('the malformed one was recorded as a new trace', async () => spansOf(fresh).length >= 2)
  assert.equal(spansOf(traceId).length, 0, 'nothing recorded for the unsampled trace')
})

test('tracestate travels with the trace it came with, and is dropped when a new trace starts', async () => {
  const state = 'vendor=opaque-value'
  const kept = await get(`${gw}/state`, { traceparent: `00-${'d'.repeat(32)}-${'e'.repeat(16)}-01`, tracestate: state })
  assert.equal(kept.json().headers.tracestate, state)
  for (const traceparent of [undefined, 'not-a-trace', `00-${'0'.repeat(32)}-${'e'.repeat(16)}-01`, `00-${'D'.repeat(32)}-${'e'.repeat(16)}-01`]) {
    const r = await get(`${gw}/state`, { ...(traceparent === undefined ? {} : { traceparent }), tracestate: state })
    assert.equal(r.json().headers.tracestate, undefined, `with traceparent ${traceparent}`)
    assert.notEqual(parentOf(r.json().headers.traceparent)[1], 'd'.repeat(32))
  }
})

test('with sampling 0 new traces are not recorded, yet every hop still passes a traceparent', async () => {
  await mesh.apply(config(gwPort, endpoint, 0))
  await mesh.settled()
  const r = await get(`${gw}/unsampled`)
  const [, traceId, , flags] = parentOf(r.json().headers.traceparent)
  assert.equal(flags, '00')
  await new Promise(res => setTimeout(res, 1500))          // one export interval
  assert.equal(spansOf(traceId).length, 0)
})
