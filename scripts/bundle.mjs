// Bundles the CLI into dist/bundle/ (one file per lazily loaded command, shared chunks split out):
// a proxy then loads a handful of files instead of ~70 modules, which saves ~6 MB of RSS per
// proxy and start-up time (docs/performance.md). Packages from node_modules stay external.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

rmSync('dist/bundle', { recursive: true, force: true })
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
