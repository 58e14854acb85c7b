// Summarizes a .heapprofile from bench/profile.sh ALLOC=1: bytes allocated per request, in total
// and by allocating function (self).   node bench/alloc-top.mjs FILE REQUESTS [TOP]
import { readFileSync } from 'node:fs'

const [file, reqArg, topArg] = process.argv.slice(2)
if (!file || !reqArg) { console.error('usage: alloc-top.mjs FILE.heapprofile REQUESTS [TOP]'); process.exit(2) }
const requests = Number(reqArg)
const TOP = Number(topArg ?? 30)
const { head } = JSON.parse(readFileSync(file, 'utf8'))
const short = url => url.replace(/^file:\/\/.*?\/dist\//, 'dist/')
const self = new Map()
let total = 0
const walk = node => {
  const cf = node.callFrame
  const key = `${cf.functionName || '(anonymous)'} ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : ''}`.trim()
  self.set(key, (self.get(key) ?? 0) + node.selfSize)
  total += node.selfSize
  for (const c of node.children) walk(c)
}
walk(head)
console.log(`allocated: ${(total / requests).toFixed(0)} bytes per request (${requests} requests, ${(total / 1e6).toFixed(1)} MB sampled)`)
console.log('\nbytes/request  share  allocating function (self)')
for (const [k, b] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(b / requests).toFixed(0).padStart(13)}  ${(100 * b / total).toFixed(1).padStart(4)}%  ${k}`)
}
