// Runs every compiled test file under dist/ with Node's own test runner.
// Unit tests first (fast feedback), integration and end-to-end suites after.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function collect(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) collect(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const filter = process.argv.slice(2)
let files = collect('dist')
if (filter.length) files = files.filter(f => filter.some(x => f.includes(x)))
const slow = f => f.includes('/integration/') || f.includes('.e2e.')
files = [...files.filter(f => !slow(f)), ...files.filter(slow)]
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=120000', ...files], { stdio: 'inherit' })
process.exit(res.status ?? 1)
