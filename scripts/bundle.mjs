// Bundles the CLI into dist/bundle/ (docs/performance.md):
// - main.js, an ES module with one file per lazily loaded command and shared chunks split out;
// - proxy.cjs and gateway.cjs, one CommonJS file each for the two commands that run beside every
//   app (bin/trellis.js picks them): no ES-module loader, no other command, and no comments or
//   indentation, whose source text V8 would hold in every proxy's heap.
// A proxy loads one file instead of ~70 modules, which saves ~6 MB of RSS per proxy and start-up
// time. Packages from node_modules stay external, except commander: bundling it spares every
// process the CommonJS resolution of its seven files.
import { build } from 'esbuild'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const bundled = new Set(['commander'])
const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'))

// Node's builtins are taken with process.getBuiltinModule, not `import`: an ESM import of a
// builtin reads every export once, so `node:tls` copies its ~140 root certificates into the heap
// and `node:crypto` loads all of WebCrypto, in every proxy (−0.5 MB anonymous memory each).
const builtinsByGetBuiltinModule = {
  name: 'builtins-by-get-builtin-module',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, args => args.kind === 'dynamic-import' ? undefined : { path: args.path, namespace: 'builtin' })
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, args => ({ contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)})`, loader: 'js' }))
  },
}

const common = {
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: Object.keys(dependencies).filter(name => !bundled.has(name)),
  sourcemap: true,
  plugins: [builtinsByGetBuiltinModule],
  logLevel: 'warning',
}
rmSync('dist/bundle', { recursive: true, force: true })
await build({ ...common, entryPoints: ['src/cli/main.ts'], splitting: true, format: 'esm' })
// jose is an ES module only, and require() of an ES module needs Node 20.19: the CommonJS bundles
// take it inside (only the parts the gateway's JWT checks use), as they take commander.
const esmOnly = new Set(['jose'])
await build({
  ...common,
  external: common.external.filter(name => !esmOnly.has(name)),
  entryPoints: { proxy: 'src/cli/proxy-main.ts', gateway: 'src/cli/gateway-main.ts' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  minifyWhitespace: true,
})

// esbuild keeps the doc comments of class members, and one character above U+00FF in a file (an
// em dash in a comment) makes V8 hold that whole source as UTF-16: twice the memory, ~180 KB in
// every proxy for the data plane's chunk. esbuild escapes them in strings, so only comment lines
// are rewritten here (an escape in a comment changes nothing); src/cli/bundle.test.ts fails on
// any left elsewhere, such as in a String.raw template.
const COMMENT_LINE = /^\s*(\/\/|\/\*|\*)/
const WIDE = /[^\x00-\xff]/gu
for (const name of readdirSync('dist/bundle')) {
  if (!name.endsWith('.js') && !name.endsWith('.cjs')) continue
  const file = join('dist/bundle', name)
  const text = readFileSync(file, 'utf8')
  const narrow = text.split('\n').map(line => COMMENT_LINE.test(line) ? line.replace(WIDE, c => `\\u{${c.codePointAt(0).toString(16)}}`) : line).join('\n')
  if (narrow !== text) writeFileSync(file, narrow)
}
