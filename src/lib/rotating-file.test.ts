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
