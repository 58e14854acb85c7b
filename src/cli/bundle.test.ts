// What the bundle (scripts/bundle.mjs) promises every proxy, checked on the built files and on a
// running `trellis proxy`: sources V8 can hold one byte per character, and Node's builtins taken
// without ESM imports (which would copy the root certificates and load WebCrypto in every proxy).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BUNDLE = fileURLToPath(new URL('../bundle/', import.meta.url))
const BIN = fileURLToPath(new URL('../../bin/trellis.js', import.meta.url))
const chunks = readdirSync(BUNDLE).filter(f => f.endsWith('.js')).map(f => ({ name: f, text: readFileSync(join(BUNDLE, f), 'utf8') }))

test('no bundle file holds a character above U+00FF', () => {
  assert.ok(chunks.length > 5)
  for (const { name, text } of chunks) {
    const wide = /[^\x00-\xff]/u.exec(text)
    assert.equal(wide, null, `${name}: ${JSON.stringify(text.slice(Math.max(0, (wide?.index ?? 0) - 40), (wide?.index ?? 0) + 10))}`)
  }
})

test('no bundle file imports a Node builtin as an ES module', () => {
  for (const { name, text } of chunks) assert.doesNotMatch(text, /^import\b[^;]*from\s*["']node:/m, name)
  assert.ok(chunks.some(c => c.text.includes('process.getBuiltinModule("node:tls")')))
})

test('a running standalone proxy loads node:tls through no ES-module import (WebCrypto stays unloaded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bundle-'))
  const report = join(dir, 'report.cjs')
  // Preloaded into the proxy: on SIGTERM, what it has loaded goes to stderr before it stops.
  writeFileSync(report, "process.prependListener('SIGTERM', () => process.stderr.write('\\nREPORT ' + JSON.stringify(process.moduleLoadList) + '\\n'))\n")
  const child = spawn(process.execPath, ['--require', report, BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise(r => child.once('exit', r))
  let err = ''
  child.stderr.setEncoding('utf8')
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`proxy did not start: ${err}`)), 15_000)
      child.stderr.on('data', (c: string) => { err += c; if (/-> http:\/\/127\.0\.0\.1:9/.test(err)) { clearTimeout(timer); resolve() } })
    })
  } finally {
    child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const line = /REPORT (.*)/.exec(err)
  assert.ok(line, err)
  const modules = JSON.parse(line[1]) as string[]
  assert.ok(modules.includes('NativeModule tls'), 'the proxy loads node:tls (its mTLS)')
  assert.ok(!modules.includes('NativeModule internal/crypto/webcrypto'), 'WebCrypto was loaded')
})
