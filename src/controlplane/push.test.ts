// Pushes to a proxy that reads its stream slowly, or not at all: the control plane holds at most one
// snapshot for it, and sends the latest once the proxy has read what was sent.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import { compileSources } from '../compiler/compile.js'
import type { MeshIR } from '../ir/index.js'
import { Pusher } from './push.js'
import { Registry } from './registry.js'

/** A mesh whose sidecar snapshot for `w` is a few kilobytes and differs with `n`. */
function meshIR(n: number): MeshIR {
  const docs = [`apiVersion: trellis.dev/v1alpha1\nkind: Workload\nmetadata: { name: w, labels: { app: w } }\nspec: { command: [x], upstreams: [{ service: s }] }\n`]
  docs.push(`apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: s }\nspec: { port: 80, selector: { app: w } }\n`)
  for (let r = 0; r < 40; r++) {
    docs.push(`apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r${r} }\nspec: { parentRefs: [{ kind: Service, name: s }], rules: [{ matches: [{ path: { type: PathPrefix, value: /v${n}/r${r} } }], backendRefs: [{ name: s, port: 80 }] }] }\n`)
  }
  const out = compileSources([{ file: 'f.yaml', dir: '/d', text: docs.join('---\n') }])
  assert.equal(out.diagnostics.filter(d => d.severity === 'error').length, 0)
  return out.ir
}

test('a proxy that does not read gets no more pushes until it does, then the latest version only', async () => {
  let state = { ir: meshIR(0), version: 1 }
  const pusher = new Pusher(() => ({ ...state, instances: [] }))
  const registry = new Registry(60_000, () => {})
  const proxy = registry.register({
    kind: 'sidecar', workload: 'default/w', gateway: null, replica: 0, pid: 1, labels: {}, adminAddress: '127.0.0.1:1',
    inboundAddress: null, identity: 'spiffe://trellis.local/ns/default/sa/w', incarnation: 'a',
  }, Date.now())
  const written: string[] = []
  const unread: (() => void)[] = []
  const stream = new Writable({ highWaterMark: 1024, write(chunk: Buffer, _enc, done) { written.push(chunk.toString()); unread.push(done) } })
  pusher.attach(proxy, stream as unknown as ServerResponse)
  assert.equal(written.length, 1, 'the first snapshot goes out')
  for (let v = 2; v <= 50; v++) {
    state = { ir: meshIR(v), version: v }
    pusher.schedule()
    await new Promise(resolve => setImmediate(resolve))
  }
  const first = Buffer.byteLength(written[0])
  assert.equal(stream.writableLength, first, 'nothing more is queued while the first push is unread')
  for (const done of unread.splice(0)) done()              // the proxy reads
  for (let i = 0; i < 50 && written.length < 2; i++) await new Promise(resolve => setImmediate(resolve))
  assert.equal(written.length, 2)
  assert.match(written[1], /^\{"type":"snapshot","version":50,/, 'then the latest, not the 48 in between')
  assert.match(written[1], /\/v50\/r0/)
  pusher.closeAll()
})
