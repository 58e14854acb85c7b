// What the bundle (scripts/bundle.mjs) promises every proxy, checked on the built files and on a
// running `trellis proxy`: sources V8 can hold one byte per character, Node's builtins taken
// without ESM imports (which would copy the root certificates and load WebCrypto in every proxy),
// and the data-plane commands started from CommonJS, without Node's ES-module loader.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BUNDLE = fileURLToPath(new URL('../bundle/', import.meta.url))
const BIN = fileURLToPath(new URL('../../bin/trellis.js', import.meta.url))
const chunks = readdirSync(BUNDLE).filter(f => f.endsWith('.js') || f.endsWith('.cjs')).map(f => ({ name: f, text: readFileSync(join(BUNDLE, f), 'utf8') }))
/** The data plane's CommonJS bundles; text is '' when one was not built. */
const dataPlane = ['proxy.cjs', 'gateway.cjs'].map(name => ({ name, text: chunks.find(c => c.name === name)?.text ?? '' }))

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

test('the proxy and the gateway are CommonJS bundles of their own', () => {
  for (const { name, text } of dataPlane) {
    assert.ok(text, `${name} is built`)
    assert.doesNotMatch(text, /^\s*(import|export)\b/m, name)
    assert.doesNotMatch(text, /import\(["'`]\./, `${name} loads no file of the bundle as an ES module`)
  }
  assert.ok(!dataPlane[0].text.includes('registerControlPlane'), 'proxy.cjs holds only the proxy command')
})

test('the CommonJS bundles require no package that is an ES module only (that needs Node 20.19)', () => {
  const requireFromBundle = createRequire(join(BUNDLE, 'proxy.cjs'))
  for (const { name, text } of dataPlane) {
    const packages = new Set([...text.matchAll(/\brequire\("([^".][^"]*)"\)/g)].map(m => m[1]).filter(p => !p.startsWith('node:')))
    for (const pkg of packages) {
      const manifest = JSON.parse(readFileSync(requireFromBundle.resolve(`${pkg}/package.json`), 'utf8')) as { type?: string }
      assert.notEqual(manifest.type, 'module', `${name} requires ${pkg}, an ES module`)
    }
  }
})

test('the data plane keeps time without the global `performance` (which loads perf_hooks and eight more modules)', () => {
  for (const { name, text } of dataPlane) {
    assert.doesNotMatch(text, /\bperformance\.|perf_hooks/, name)
    assert.match(text, /process\.hrtime\(\)/, `${name} has the monotonic clock`)
  }
})

/** What `trellis ARGS` has loaded: on SIGTERM once stderr matches `started`, or at exit when `started` is null. */
async function loadedModules(args: string[], started: RegExp | null): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bundle-'))
  const report = join(dir, 'report.cjs')
  // Preloaded into the process: on SIGTERM or exit, what it has loaded goes to stderr.
  writeFileSync(report, "let done = false; const report = () => { if (!done) { done = true; process.stderr.write('\\nREPORT ' + JSON.stringify(process.moduleLoadList) + '\\n') } }; process.prependListener('SIGTERM', report); process.on('exit', report)\n")
  const child = spawn(process.execPath, ['--require', report, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise(r => child.once('close', r))   // after exit and the end of stderr
  let err = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (c: string) => { err += c })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`trellis ${args.join(' ')} did not start: ${err}`)), 15_000)
      if (started === null) child.once('close', () => { clearTimeout(timer); resolve() })
      else child.stderr.on('data', () => { if (started.test(err)) { clearTimeout(timer); resolve() } })
    })
  } finally {
    child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const line = /REPORT (.*)/.exec(err)
  assert.ok(line, err)
  return JSON.parse(line[1]) as string[]
}

const ESM_LOADER = 'NativeModule internal/modules/esm/loader'

test('a running standalone proxy loads node:tls through no ES-module import (WebCrypto stays unloaded), and no ES-module loader', async () => {
  const modules = await loadedModules(['proxy', '--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9'], /-> http:\/\/127\.0\.0\.1:9/)
  assert.ok(modules.includes('NativeModule tls'), 'the proxy loads node:tls (its mTLS)')
  assert.ok(!modules.includes('NativeModule internal/crypto/webcrypto'), 'WebCrypto was loaded')
  assert.ok(!modules.includes(ESM_LOADER), 'the proxy started through the ES-module loader')
  assert.ok(!modules.includes('NativeModule perf_hooks'), 'the proxy loaded perf_hooks')
})

test('`trellis gateway` starts without the ES-module loader; other commands run from the ES-module bundle', async () => {
  const gateway = await loadedModules(['gateway', '--help'], null)
  assert.ok(!gateway.includes(ESM_LOADER), 'the gateway started through the ES-module loader')
  const validate = await loadedModules(['--help'], null)
  assert.ok(validate.includes(ESM_LOADER), 'trellis --help runs main.js, an ES module')
})
