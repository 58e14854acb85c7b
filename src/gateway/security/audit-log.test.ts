import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SecurityIR } from '../../ir/security.js'
import type { Exchange } from '../../dataplane/exchange.js'
import type { GatewaySnapshot } from '../../snapshot/types.js'
import { AuditLog, type AuditEntry } from './audit-log.js'
import { SecurityRuntime } from './security-runtime.js'

const dir = mkdtempSync(join(tmpdir(), 'trellis-audit-rotate-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const entry = (i: number): AuditEntry => ({
  consumer: 'alice', client: '127.0.0.1', method: 'GET', path: `/orders/${i}`, route: 'default/api', status: 200, reason: null, requestId: `req-${i}`,
})
const turn = () => new Promise(r => setImmediate(r))

/** Every file of `path`, oldest first (`.N` … `.1`, then `path`), and each one's lines. */
function files(path: string): { name: string; bytes: number; lines: string[] }[] {
  const names: string[] = []
  for (let i = 1; existsSync(`${path}.${i}`); i++) names.unshift(`${path}.${i}`)
  if (existsSync(path)) names.push(path)
  return names.map(name => {
    const text = readFileSync(name, 'utf8')
    assert.ok(text === '' || text.endsWith('\n'), `${name} ends with a whole line`)
    return { name, bytes: statSync(name).size, lines: text === '' ? [] : text.slice(0, -1).split('\n') }
  })
}

/** The request numbers in the files, oldest first; every line must be whole JSON. */
const numbers = (fs: ReturnType<typeof files>) => fs.flatMap(f => f.lines.map(l => Number(/^\/orders\/(\d+)$/.exec(JSON.parse(l).path)![1])))

/** Writes requests `from`…`to - 1`, in batches of different sizes (one per event-loop turn). */
async function writeRange(log: AuditLog, from: number, to: number): Promise<void> {
  for (let i = from, n = 1; i < to; n = (n * 7) % 23 + 1) {
    for (const end = Math.min(to, i + n); i < end; i++) log.write(entry(i))
    await turn()
  }
}

test('the audit log rotates by size: every line once, in order, none split, no file past the limit', async () => {
  const path = join(dir, 'all.log')
  const log = new AuditLog(path, () => {}, { maxSizeBytes: 2048, maxFiles: 100 })
  await writeRange(log, 0, 400)
  for (let i = 400; i < 500; i++) log.write(entry(i))        // one batch spanning several files
  await log.close()
  const fs = files(path)
  assert.ok(fs.length >= 20, `rotated several times: ${fs.length} files`)
  assert.deepEqual(numbers(fs), Array.from({ length: 500 }, (_, i) => i))
  for (const f of fs) assert.ok(f.bytes <= 2048, `${f.name}: ${f.bytes} bytes`)
  for (const f of fs.slice(0, -1)) assert.ok(f.bytes > 2048 - 200, `${f.name} was filled before rotating: ${f.bytes} bytes`)
  for (const f of fs) assert.equal(statSync(f.name).mode & 0o777, 0o600)
})

test('the audit log keeps maxFiles rotated files; the oldest lines go, the rest stay whole and in order', async () => {
  const path = join(dir, 'kept.log')
  const log = new AuditLog(path, () => {}, { maxSizeBytes: 2048, maxFiles: 3 })
  await writeRange(log, 0, 300)
  await log.close()
  const fs = files(path)
  assert.deepEqual(fs.map(f => f.name), [`${path}.3`, `${path}.2`, `${path}.1`, path])
  const got = numbers(fs)
  assert.equal(got.at(-1), 299)
  assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => 300 - got.length + i), 'the newest lines, each once, in order')
  assert.ok(got.length >= 3 * 9, `${got.length} lines kept`)
})

test('a SecurityPolicy change to the rotation limits applies to the audit file already open', async () => {
  const path = join(dir, 'policy.log')
  const runtime = new SecurityRuntime(() => {})
  const snapshot = (maxSizeBytes: number, maxFiles: number) => ({
    security: { public: policy(path, maxSizeBytes, maxFiles) }, routeSecurity: {},
  }) as unknown as GatewaySnapshot
  let gates = await runtime.build(snapshot(2048, 4))
  runtime.sweep()
  let next = 0
  const send = async (n: number) => {
    for (const end = next + n; next < end;) {
      for (let k = 0; k < 5 && next < end; k++, next++) request(gates.listeners.get('public')!, next)
      await turn()
    }
  }
  await send(150)
  await written(path, next - 1)
  assert.deepEqual(files(path).map(f => f.name), [4, 3, 2, 1].map(i => `${path}.${i}`).concat(path))
  assert.ok(files(path).every(f => f.bytes <= 2048))

  gates = await runtime.build(snapshot(4096, 2))
  runtime.sweep()
  await send(100)
  await runtime.close()
  const fs = files(path)
  assert.deepEqual(fs.map(f => f.name), [`${path}.2`, `${path}.1`, path], 'files past the new maxFiles are removed')
  assert.ok(fs[1].bytes > 2048 && fs[1].bytes <= 4096, `the new size limit applies: ${fs[1].bytes} bytes`)
  const got = numbers(fs)
  assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => next - got.length + i))
})

/** Waits until request `last` is in the files (writes end after the batch is handed over). */
async function written(path: string, last: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    try { if (numbers(files(path)).at(-1) === last) return } catch { /* read during a rotation: look again */ }
    await new Promise(r => setTimeout(r, 10))
  }
  assert.fail(`request ${last} never reached the file`)
}

function policy(file: string, maxSizeBytes: number, maxFiles: number): SecurityIR {
  return { policy: 'default/audit', jwt: null, apiKey: null, cors: null, audit: { file, maxSizeBytes, maxFiles } }
}

/** One request through the gate, answered by the app with 200. */
function request(gate: { handle(x: Exchange, route: string | null, next: () => void): void }, i: number): void {
  const res = Object.assign(new EventEmitter(), { headersSent: true, statusCode: 200 })
  const x = { req: { method: 'GET' }, res, path: `/orders/${i}`, headers: {}, consumer: null, client: '127.0.0.1' } as unknown as Exchange
  gate.handle(x, 'default/api', () => res.emit('close'))
}
