// Summarizes a V8 .cpuprofile: self time by function and by source file, and inclusive time of
// the functions that make up the proxy's request path.   node bench/profile-top.mjs FILE [TOP]
import { readFileSync } from 'node:fs'

const [file, topArg] = process.argv.slice(2)
if (!file) { console.error('usage: profile-top.mjs FILE.cpuprofile [TOP]'); process.exit(2) }
const TOP = Number(topArg ?? 30)
const prof = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map(n => [n.id, n]))

// Self time per node from the sample stream (timeDeltas[i] belongs to samples[i]).
const self = new Map()
let total = 0
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt)
  total += dt
}

const short = url => url.replace(/^file:\/\/.*?\/dist\//, 'dist/').replace(/^node:/, 'node:')
const label = cf => `${cf.functionName || '(anonymous)'} ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : ''}`.trim()

const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const selfByFn = new Map(), selfByFile = new Map(), inclusive = new Map()
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame
  const k = label(cf)
  selfByFn.set(k, (selfByFn.get(k) ?? 0) + t)
  const f = cf.url ? short(cf.url) : `(${cf.functionName || 'native'})`
  selfByFile.set(f, (selfByFile.get(f) ?? 0) + t)
  // Inclusive: each distinct function on the stack once per sample.
  const seen = new Set()
  for (let p = id; p !== undefined; p = parent.get(p)) {
    const kk = label(byId.get(p).callFrame)
    if (seen.has(kk)) continue
    seen.add(kk)
    inclusive.set(kk, (inclusive.get(kk) ?? 0) + t)
  }
}

const pct = t => `${(100 * t / total).toFixed(1).padStart(5)}%`
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
const idle = [...selfByFn].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, t]) => s + t, 0)
console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled, idle ${pct(idle)}`)
console.log(`\n== self time, top ${TOP} functions`)
for (const [k, t] of top(selfByFn, TOP)) console.log(`${pct(t)}  ${k}`)
console.log('\n== self time by file')
for (const [k, t] of top(selfByFile, 25)) console.log(`${pct(t)}  ${k}`)
console.log('\n== inclusive time, top functions (excluding idle/program roots)')
for (const [k, t] of top(inclusive, TOP + 20)) if (!k.startsWith('(root)')) console.log(`${pct(t)}  ${k}`)
