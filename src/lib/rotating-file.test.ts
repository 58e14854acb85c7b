import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REOPEN_CHECK_MS, RotatingFile } from './rotating-file.js'

const dir = mkdtempSync(join(tmpdir(), 'trellis-rotating-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null)
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

test('a line longer than the limit gets a file of its own; it is never split', async () => {
  const path = join(dir, 'long.log')
  const f = new RotatingFile(path, { maxSizeBytes: 100, maxFiles: 5 }, () => {})
  const long = 'x'.repeat(250)
  await f.append(['a', long, 'b'])
  await f.close()
  assert.deepEqual([read(`${path}.2`), read(`${path}.1`), read(path)], ['a\n', `${long}\n`, 'b\n'])
  assert.equal(f.rotations, 2)
})

test('sizes count bytes, not characters', async () => {
  const path = join(dir, 'utf8.log')
  const f = new RotatingFile(path, { maxSizeBytes: 10, maxFiles: 5 }, () => {})
  await f.append(['éé', 'éé'])          // 5 bytes each with the newline: both fit in 10
  await f.append(['é'])
  await f.close()
  assert.deepEqual([read(`${path}.1`), read(path)], ['éé\néé\n', 'é\n'])
})

test('a file moved or removed from outside is started again at its path', async () => {
  const path = join(dir, 'moved.log')
  const f = new RotatingFile(path, { maxSizeBytes: 1 << 20, maxFiles: 5 }, () => {})
  await f.append(['one'])
  renameSync(path, `${path}.old`)
  await sleep(REOPEN_CHECK_MS + 50)
  await f.append(['two'])
  unlinkSync(path)
  await sleep(REOPEN_CHECK_MS + 50)
  await f.append(['three'])
  await f.close()
  assert.equal(read(`${path}.old`), 'one\n')
  assert.equal(read(path), 'three\n')
})

test('when a rotation is refused, lines go on into the current file and the trouble is told once', async () => {
  const path = join(dir, 'stuck.log')
  mkdirSync(`${path}.1`)
  writeFileSync(join(`${path}.1`, 'in-the-way'), '')   // a non-empty folder: the rename fails
  const warnings: string[] = []
  const f = new RotatingFile(path, { maxSizeBytes: 8, maxFiles: 1 }, w => warnings.push(w))
  for (let i = 0; i < 5; i++) await f.append([`line${i}`])
  await f.close()
  assert.equal(read(path), 'line0\nline1\nline2\nline3\nline4\n')
  assert.equal(warnings.length, 1)
  assert.match(warnings[0], /^cannot rotate: .*; writing on to the current file$/)
})

test('two writers on one path (two processes) rotate it once per turn: no line lost or repeated, no file far past the limit', async () => {
  const path = join(dir, 'shared.log')
  const limits = { maxSizeBytes: 2000, maxFiles: 100 }
  const a = new RotatingFile(path, limits, () => {}), b = new RotatingFile(path, limits, () => {})
  const sent: string[] = []
  for (let i = 0; i < 300; i++) {
    const w = i % 2 === 0 ? a : b
    const line = `${w === a ? 'a' : 'b'}-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`
    sent.push(line)
    await w.append([line])
  }
  await a.close(); await b.close()
  const files = [path, ...Array.from({ length: 100 }, (_, i) => `${path}.${i + 1}`)].filter(existsSync)
  const got = files.flatMap(f => readFileSync(f, 'utf8').split('\n').filter(Boolean))
  assert.deepEqual([...got].sort(), [...sent].sort(), 'every line exactly once')
  for (const f of files) assert.ok(readFileSync(f).length <= limits.maxSizeBytes, `${f} is ${readFileSync(f).length} bytes`)
  assert.ok(files.length >= 8, `${files.length} files`)   // ~17 KB in 2 KB files
  assert.ok(!existsSync(`${path}.lock`))
})
