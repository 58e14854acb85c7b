// The README's demo, end to end: `trellis up -f examples/shop`, a request through
// gateway → web → orders (90/10 canary) → payments, live state, and a clean shutdown.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { get } from './harness/http.js'
import { CLI, UpProcess, REPO, alive, trellis, trellisAsync } from './harness/up-process.js'

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

test('up prints the dashboard login link; the token appears on no other line and in no other file', async () => {
  const token = readFileSync(join(cwd, '.trellis', 'admin-token'), 'utf8').trim()
  const links = up.stdout.split('\n').filter(l => l.startsWith('dashboard: '))
  assert.deepEqual(links, [`dashboard: http://127.0.0.1:15000/?token=${token}`])
  const page = await get(links[0].slice('dashboard: '.length))
  assert.equal(page.status, 200)
  assert.match(page.body, /<table id="services">/)
  assert.ok(!page.body.includes(token), 'the page holds no token: its script takes it from the address')
  assert.equal((await get('http://127.0.0.1:15000/api/v1/instances', { authorization: `Bearer ${token}` })).status, 200)
  assert.deepEqual(up.stdout.split('\n').filter(l => l.includes(token)), links, 'no log line of up or its children holds the token')
  assert.ok(!up.stderr.includes(token))
  for (const f of readdirSync(join(cwd, '.trellis'))) {
    if (f !== 'admin-token') assert.ok(!readFileSync(join(cwd, '.trellis', f), 'utf8').includes(token), f)
  }
})

test('stat shows the canary route and the callers of orders', async () => {
  for (let i = 0; i < 20; i++) assert.equal((await get('http://127.0.0.1:8080/')).status, 200)
  let res = { status: 0 as number | null, stdout: '', stderr: '' }
  for (let tries = 0; tries < 40; tries++) {
    res = await trellisAsync(cwd, 'stat', 'orders', '--window', '1m', '-o', 'json')
    if (res.status === 0 && JSON.parse(res.stdout).service.requests >= 20) break
    await new Promise(r => setTimeout(r, 250))
  }
  assert.equal(res.status, 0, res.stderr)
  const d = JSON.parse(res.stdout)
  assert.ok(d.service.requests >= 20)
  assert.equal(d.service.successRate, 1)
  assert.deepEqual(d.routes.map((r: { route: string }) => r.route), ['default/orders-canary'])
  assert.deepEqual(d.callers.map((c: { caller: string }) => c.caller), ['spiffe://trellis.local/ns/default/sa/web'])
  assert.deepEqual(d.instances.map((i: { instance: string }) => i.instance).sort(), ['default/orders-v1/0', 'default/orders-v1/1', 'default/orders-v2/0'])
  const table = await trellisAsync(cwd, 'stat')
  assert.equal(table.status, 0, table.stderr)
  assert.match(table.stdout, /^payments +[\d.]+ +100\.00% /m)
})

test('tap relays the summaries of another process\'s sidecars and ends on --max', async () => {
  const tap = spawn(process.execPath, [CLI, 'tap', 'orders', '--max', '3', '-o', 'json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = '', err = ''
  tap.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  tap.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const exited = new Promise<number | null>(resolve => tap.once('exit', code => resolve(code)))
  const deadline = Date.now() + 20_000
  while (!/^tapping /m.test(err) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
  // The proxies get the tap over their config streams: keep sending until it has seen three.
  while (tap.exitCode === null && Date.now() < deadline) { await get('http://127.0.0.1:8080/tapped'); await new Promise(r => setTimeout(r, 50)) }
  assert.equal(await exited, 0, err)
  assert.match(err, /^tapping default\/orders: 3 sidecars/m)
  const lines = out.trim().split('\n').map(l => JSON.parse(l))
  assert.equal(lines.length, 3)
  for (const l of lines) {
    assert.equal(l.path, '/tapped')
    assert.equal(l.status, 200)
    assert.equal(l.source.identity, 'spiffe://trellis.local/ns/default/sa/web')
    assert.match(l.destination.instance, /^default\/orders-v[12]\/\d$/)
    assert.equal(l.destination.identity, 'spiffe://trellis.local/ns/default/sa/orders')
    assert.equal(l.route, 'default/orders-canary')
  }
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
