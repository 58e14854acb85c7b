// examples/canary runs as documented: header routing, prefix rule with a header modifier, redirect
// and the 80/20 split, through `trellis up` exactly as its README shows.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { get } from './harness/http.js'
import { REPO, UpProcess } from './harness/up-process.js'

const state = mkdtempSync(join(tmpdir(), 'trellis-canary-'))
let up: UpProcess
const GW = 'http://127.0.0.1:8090'

before(async () => {
  up = new UpProcess(join(REPO, 'examples/canary'), ['-f', '.', '--state', state])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(state, { recursive: true, force: true }) })

test('x-canary: 1 always reaches v2', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await get(`${GW}/hello`, { 'x-canary': '1' })).json().version, 'v2')
})

test('/api goes to api with x-env set and x-debug removed; /apix does not', async () => {
  const r = (await get(`${GW}/api/orders?id=7`, { 'x-debug': 'yes', 'x-env': 'prod' })).json()
  assert.equal(r.workload, 'api')
  assert.equal(r.path, '/api/orders?id=7')
  assert.deepEqual(r.headers, { 'x-env': 'canary-demo' })
  assert.notEqual((await get(`${GW}/apix`)).json().workload, 'api')
})

test('/old redirects to /new', async () => {
  const r = await get(`${GW}/old`)
  assert.equal(r.status, 301)
  assert.match(String(r.headers.location), /\/new$/)
})

test('the rest splits exactly 80/20 per 10 requests', async () => {
  let v2 = 0
  for (let i = 0; i < 50; i++) if ((await get(`${GW}/`)).json().version === 'v2') v2++
  assert.equal(v2, 10)
})
