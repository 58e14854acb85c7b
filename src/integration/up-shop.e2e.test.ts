// The README's demo, end to end: `trellis up -f examples/shop`, a request through
// gateway → web → orders (90/10 canary) → payments, live state, and a clean shutdown.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { get } from './harness/http.js'
import { UpProcess, REPO, alive, trellis } from './harness/up-process.js'

const cwd = mkdtempSync(join(tmpdir(), 'trellis-shop-'))
let up: UpProcess

before(async () => {
  up = new UpProcess(cwd, ['-f', join(REPO, 'examples/shop')])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(cwd, { recursive: true, force: true }) })

test('a request through the gateway walks web → orders → payments', async () => {
  const r = await get('http://127.0.0.1:8080/checkout')
  assert.equal(r.status, 200, r.body)
  const web = r.json()
  assert.equal(web.workload, 'web')
  assert.equal(web.downstream.status, 200)
  assert.match(web.downstream.body.workload, /^orders-v[12]$/)
  assert.equal(web.downstream.body.downstream.body.workload, 'payments')
  // Each app is told who called it, as mTLS proved it; examples/shop/security.yaml allows exactly these.
  const id = (sa: string) => `spiffe://trellis.local/ns/default/sa/${sa}`
  assert.equal(web.caller, id('gateway-edge'))
  assert.equal(web.downstream.body.caller, id('web'))
  assert.equal(web.downstream.body.downstream.body.caller, id('orders'))
})

test('the orders canary splits about 90/10', async () => {
  let v2 = 0
  for (let i = 0; i < 200; i++) {
    const r = await get('http://127.0.0.1:8080/')
    if (r.json().downstream.body.workload === 'orders-v2') v2++
  }
  assert.ok(v2 >= 8 && v2 <= 36, `orders-v2 got ${v2} of 200`) // 10% ± 4 points over 2 web replicas
})

test('get proxies and get instances list every process with the contract fields', () => {
  const proxies = JSON.parse(trellis(cwd, 'get', 'proxies', '-o', 'json').stdout).items
  assert.equal(proxies.length, 8, 'seven sidecars and one gateway')
  for (const p of proxies) {
    for (const field of ['name', 'kind', 'workload', 'instance', 'pid', 'identity', 'adminAddress', 'inboundAddress', 'configVersion', 'ackedVersion', 'connected']) {
      assert.ok(field in p, `proxy ${p.name} lacks ${field}`)
    }
    assert.equal(p.connected, true)
    assert.ok(p.ackedVersion >= 1)
  }
  const orders = proxies.find((p: { workload: string }) => p.workload === 'default/orders-v1')
  assert.equal(orders.identity, 'spiffe://trellis.local/ns/default/sa/orders')
  const instances = JSON.parse(trellis(cwd, 'get', 'instances', '-o', 'json').stdout).items
  assert.equal(instances.length, 7)
  for (const i of instances) {
    for (const field of ['workload', 'replica', 'services', 'address', 'pid', 'labels', 'healthy', 'ejected', 'proxy']) assert.ok(field in i, `instance lacks ${field}`)
    assert.equal(i.healthy, true)
  }
  const table = trellis(cwd, 'get', 'services')
  assert.equal(table.status, 0)
  assert.match(table.stdout, /orders-v2/)
})

test('check passes on a healthy mesh, line by line', () => {
  const res = trellis(cwd, 'check')
  assert.equal(res.status, 0, res.stdout + res.stderr)
  assert.match(res.stdout, /^ok {4}control plane at http:\/\/127\.0\.0\.1:15000/m)
  assert.match(res.stdout, /^ok {4}8 proxies connected and on the latest config/m)
  assert.match(res.stdout, /^ok {4}every connected proxy holds a valid mesh certificate/m)
  assert.match(res.stdout, /^ok {4}no route points nowhere/m)
})

test('state files are private to their owner', () => {
  for (const f of ['admin-token', 'store.json', 'ca-key.pem']) assert.equal(statSync(join(cwd, '.trellis', f)).mode & 0o077, 0, f)
})

test('readyz and metrics need no token; the API does', async () => {
  assert.equal((await get('http://127.0.0.1:15000/readyz')).status, 200)
  assert.match((await get('http://127.0.0.1:15000/metrics')).body, /trellis_config_version/)
  assert.equal((await get('http://127.0.0.1:15000/api/v1/services')).status, 401)
})

test('SIGTERM drains, stops every process it started, and exits 0', async () => {
  const proxies = JSON.parse(trellis(cwd, 'get', 'proxies', '-o', 'json').stdout).items as { pid: number }[]
  const instances = JSON.parse(trellis(cwd, 'get', 'instances', '-o', 'json').stdout).items as { pid: number | null }[]
  const pids = [...proxies.map(p => p.pid), ...instances.map(i => i.pid).filter((p): p is number => p !== null)]
  assert.ok(pids.length >= 14)
  assert.equal(await up.stop(), 0)
  const left = pids.filter(alive)
  assert.deepEqual(left, [], 'no process left behind')
})
