import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TapEvent } from '../../telemetry/tap-hub.js'
import { TapSender, type TapBatch } from './tap-sender.js'

const event = (i: number): TapEvent => ({ time: i, method: 'GET', path: `/${i}`, status: 200, latencyMs: 1, source: null, sourceAddress: '127.0.0.1', route: null, reason: null, atCaller: false })
const tick = (ms: number) => new Promise(r => setTimeout(r, ms))

test('the rate cap drops, and counts, what is over it', async () => {
  const batches: TapBatch[] = []
  const sender = new TapSender(async b => { batches.push(b) }, 10, () => {})
  for (let i = 0; i < 100; i++) sender.offer(event(i))
  await tick(120)
  const sent = batches.reduce((n, b) => n + b.events.length, 0)
  const dropped = batches.reduce((n, b) => n + b.dropped, 0)
  assert.ok(sent >= 10 && sent <= 12, `sent ${sent}`)
  assert.equal(sent + dropped, 100)
  sender.close()
})

test('while a batch is in flight the buffer is bounded; the rest is dropped and reported later', async () => {
  let release!: () => void
  const batches: TapBatch[] = []
  const sender = new TapSender(b => { batches.push(b); return new Promise<void>(r => { release = r }) }, 1_000_000, () => {})
  sender.offer(event(0))
  await tick(80)                              // the first batch goes out and hangs: a slow reader
  for (let i = 1; i <= 1000; i++) sender.offer(event(i))
  release()
  await tick(80)
  release()
  assert.equal(batches.length, 2)
  assert.equal(batches[1].events.length, 256, 'at most the buffer waits')
  assert.equal(batches[1].dropped, 1000 - 256)
  sender.close()
})

test('a tap the control plane has ended stops the sender', async () => {
  let gone = 0, sends = 0
  const sender = new TapSender(() => { sends++; return Promise.reject(Object.assign(new Error('gone'), { status: 410 })) }, 100, () => { gone++ })
  sender.offer(event(0))
  await tick(80)
  sender.offer(event(1))
  await tick(80)
  assert.equal(gone, 1)
  assert.equal(sends, 1)
})
