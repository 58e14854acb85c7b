// Bundles the CLI into dist/bundle/ (one file per lazily loaded command, shared chunks split out):
// a proxy then loads a handful of files instead of ~70 modules, which saves ~6 MB of RSS per
// proxy and start-up time (docs/performance.md). Packages from node_modules stay external, except
// commander: bundling it spares every process the CommonJS resolution of its seven files.
import { build } from 'esbuild'
import { readFileSync, rmSync } from 'node:fs'

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

rmSync('dist/bundle', { recursive: true, force: true })
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: Object.keys(dependencies).filter(name => !bundled.has(name)),
  sourcemap: true,
  plugins: [builtinsByGetBuiltinModule],
  logLevel: 'warning',
})
