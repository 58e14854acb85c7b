// Scenario (d)'s compile step, A/B: the first `loadAndCompile` of the 1000-route config in a fresh
// process (what `trellis validate -f` and `apply -f` pay), for this checkout and another one (built,
// e.g. a `git worktree` of the commit before a change), alternating in the same session, since on a
// shared machine only same-session ratios mean anything. Each process does what scale.mjs does:
// compile the small config 1 + 7 times, time the big one's first run, then 7 warm runs.
//   node bench/compile-ab.mjs OTHER_CHECKOUT [PAIRS=9]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = fileURLToPath(new URL('..', import.meta.url))
const median = v => { v = [...v].sort((a, b) => a - b); const k = v.length >> 1; return v.length % 2 ? v[k] : (v[k - 1] + v[k]) / 2 }

if (process.argv[2] === '--child') { // --child CHECKOUT DIR: one fresh process
  const [checkout, dir] = process.argv.slice(3)
  const { loadAndCompile } = await import(pathToFileURL(join(checkout, 'dist/config/index.js')).href)
  for (let i = 0; i <= 7; i++) loadAndCompile([join(dir, 'small.yaml')])
  const time = () => { const t0 = performance.now(); const r = loadAndCompile([join(dir, 'big.yaml')]); if (r.diagnostics.some(d => d.severity === 'error')) throw new Error('big config invalid'); return performance.now() - t0 }
  const cold = time()
  const warm = Array.from({ length: 7 }, time)
  console.log(JSON.stringify({ cold, warm: median(warm) }))
  process.exit(0)
}

const other = resolve(process.argv[2] ?? '')
const pairs = Number(process.argv[3] ?? 9)
if (!process.argv[2]) { console.error('usage: node bench/compile-ab.mjs OTHER_CHECKOUT [PAIRS]'); process.exit(2) }
const dir = mkdtempSync(join(tmpdir(), 'trellis-compile-ab-'))
execFileSync(process.execPath, [join(here, 'bench/scenarios/scale.mjs')], { env: { ...process.env, SCALE_CONFIG_ONLY: dir } })
const run = checkout => JSON.parse(execFileSync(process.execPath, [join(here, 'bench/compile-ab.mjs'), '--child', checkout, dir], { encoding: 'utf8' }))
const rows = []
for (let i = 0; i < pairs; i++) {
  let mine, theirs // alternate which goes first
  if (i % 2) { theirs = run(other); mine = run(here) } else { mine = run(here); theirs = run(other) }
  rows.push({ mine, theirs })
  console.log(`pair ${i + 1}: this ${mine.cold.toFixed(1)} ms cold, ${mine.warm.toFixed(1)} warm | other ${theirs.cold.toFixed(1)} cold, ${theirs.warm.toFixed(1)} warm`)
}
rmSync(dir, { recursive: true, force: true })
const m = f => median(rows.map(f)).toFixed(1)
console.log(`cold median: this ${m(r => r.mine.cold)} ms, other ${m(r => r.theirs.cold)} ms; this/other per pair, median ${median(rows.map(r => r.mine.cold / r.theirs.cold)).toFixed(3)}`)
console.log(`warm median: this ${m(r => r.mine.warm)} ms, other ${m(r => r.theirs.warm)} ms`)
