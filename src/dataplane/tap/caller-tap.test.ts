import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { TapHub, type TapEvent } from '../../telemetry/tap-hub.js'
import { ProxyError, respondError, type Reason } from '../errors.js'
import type { Exchange } from '../exchange.js'
import type { RequestHandler } from '../listener/http-listener.js'
import { CallerTap } from './caller-tap.js'
import { nowMs } from '../../lib/monotonic-clock.js'

class FakeResponse extends EventEmitter {
  headersSent = false
  statusCode = 200
  readonly req = { headers: {} }
  setHeader(): void {}
  writeHead(status: number): this { this.statusCode = status; this.headersSent = true; return this }
  end(): void { this.emit('close') }
}

const route = (name: string, services: string[]): RequestHandler => ({ route: name, services, handle() {} })

const cases: {
  name: string; listener: string | null; route: RequestHandler | null; picked?: string; reason: Reason | null; want: Record<string, number>
}[] = [
  { name: 'no route at a sidecar: the Service its listener stands for', listener: 'default/api', route: null, reason: 'no_route', want: { 'default/api': 404 } },
  { name: 'no route at a Gateway: no Service', listener: null, route: null, reason: 'no_route', want: {} },
  { name: 'denied before a pick: every Service of the route', listener: null, route: route('default/split', ['default/a', 'default/b']), reason: 'denied', want: { 'default/a': 403, 'default/b': 403 } },
  { name: 'no healthy endpoint: the picked backend\'s Service only', listener: 'default/a', route: route('default/split', ['default/a', 'default/b']), picked: 'default/b', reason: 'unavailable', want: { 'default/b': 503 } },
  { name: 'rate limited', listener: null, route: route('default/r', ['default/a']), reason: 'rate_limited', want: { 'default/a': 429 } },
  { name: 'a timeout reached an instance, whose sidecar tells it', listener: null, route: route('default/r', ['default/a']), picked: 'default/a', reason: 'timeout', want: {} },
  { name: 'a backend naming no Service (its share answered 500): not the route\'s other Services', listener: null, route: route('default/split', ['default/a']), picked: '', reason: 'no_backend', want: {} },
  { name: 'the app answered', listener: null, route: route('default/r', ['default/a']), picked: 'default/a', reason: null, want: {} },
]

for (const c of cases) {
  test(`caller tap: ${c.name}`, () => {
    const hub = new TapHub()
    const got: Record<string, TapEvent[]> = {}
    for (const s of ['default/api', 'default/a', 'default/b', 'default/c']) hub.watchAnswers(s, { offer: e => { (got[s] ??= []).push(e) } })
    const tap = new CallerTap(hub, c.listener)
    assert.equal(tap.active, true)
    const res = new FakeResponse()
    const x = { req: { method: 'POST' }, res, path: '/orders/7', client: '10.0.0.1', startMs: nowMs(), route: null, matched: c.route, service: c.picked ?? null } as unknown as Exchange
    tap.watch(x, c.route)
    x.path = '/rewritten'
    if (c.reason === null) res.end()
    else respondError(res as never, new ProxyError(c.reason, 'test'))
    assert.deepEqual(Object.fromEntries(Object.entries(got).map(([s, es]) => [s, es[0].status])), c.want)
    for (const es of Object.values(got)) {
      assert.equal(es.length, 1)
      assert.deepEqual({ ...es[0], time: 0, latencyMs: 0 }, {
        time: 0, method: 'POST', path: '/orders/7', status: es[0].status, latencyMs: 0, source: null, sourceAddress: '10.0.0.1',
        route: c.route?.route ?? null, reason: c.reason, atCaller: true,
      })
    }
  })
}

test('answers are wanted only while a tap of one of their Services listens', () => {
  const hub = new TapHub()
  assert.equal(hub.answering, false)
  const stopA = hub.watchAnswers('default/a', { offer() {} })
  const stopA2 = hub.watchAnswers('default/a', { offer() {} })
  assert.equal(hub.answering, true)
  assert.equal(hub.answersWanted(['default/b']), false)
  assert.equal(hub.answersWanted(['default/b', 'default/a']), true)
  stopA()
  stopA()
  assert.equal(hub.answersWanted(['default/a']), true, 'the other tap of a still listens')
  stopA2()
  assert.equal(hub.answering, false)
  assert.equal(hub.answersWanted(['default/a']), false)
})

test('no close listener is added for a request whose Services no tap asks about', () => {
  const hub = new TapHub()
  const stop = hub.watchAnswers('default/other', { offer() {} })
  const tap = new CallerTap(hub, 'default/api')
  assert.equal(tap.active, true)
  const res = new FakeResponse()
  tap.watch({ req: { method: 'GET' }, res, path: '/', client: '10.0.0.1', startMs: 0, route: null, service: null } as unknown as Exchange, route('default/r', ['default/a']))
  assert.equal(res.listenerCount('close'), 0)
  stop()
})

test('caller tap: a request its claims move to another route is summarized for that route\'s Services only', () => {
  const hub = new TapHub()
  const got: Record<string, TapEvent[]> = {}
  for (const s of ['default/a', 'default/b']) hub.watchAnswers(s, { offer: e => { (got[s] ??= []).push(e) } })
  const tap = new CallerTap(hub, null)
  const res = new FakeResponse()
  const first = route('default/open', ['default/a']), moved = route('default/gold', ['default/b'])
  const x = { req: { method: 'GET' }, res, path: '/', client: '10.0.0.1', startMs: nowMs(), route: null, matched: first, service: null } as unknown as Exchange
  tap.watch(x, first)
  x.matched = moved
  x.route = moved.route!
  tap.watch(x, moved)
  respondError(res as never, new ProxyError('denied', 'test'))
  assert.deepEqual(Object.keys(got), ['default/b'])
  assert.equal(got['default/b'].length, 1)
  assert.equal(got['default/b'][0].route, 'default/gold')
})
