// `trellis up` as a supervisor: the env each app gets, output prefixes, restarts with backoff
// (apps, sidecars, the control plane itself), and draining in-flight requests on shutdown.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../supervisor/free-port.js'
import { PROXY_NODE_FLAGS } from '../supervisor/proxy-node-flags.js'
import { eventually, get, sleep } from './harness/http.js'
import { CLI, UpProcess, alive, tempProject, trellis } from './harness/up-process.js'
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const APP = `
import { createServer, request } from 'node:http'
import { existsSync, writeFileSync } from 'node:fs'
// Crashes on its very first start, to prove the supervisor restarts it.
if (process.env.CRASH_ONCE && !existsSync('crashed-' + process.env.TRELLIS_REPLICA)) {
  writeFileSync('crashed-' + process.env.TRELLIS_REPLICA, 'x')
  process.exit(3)
}
createServer((req, res) => {
  const url = new URL(req.url, 'http://x')
  const reply = () => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'PORT' || k.startsWith('TRELLIS_') || k === 'GREETING')), cwd: process.cwd(), pid: process.pid }))
  }
  const delay = Number(url.searchParams.get('delay') ?? 0)
  if (url.pathname.endsWith('/call')) {
    request(process.env.TRELLIS_UPSTREAM_BACK_END + '/', r => { let b = ''; r.on('data', c => b += c); r.on('end', () => res.end(b)) }).end()
  } else setTimeout(reply, delay)
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('app up on ' + process.env.PORT))
`

let dir = '', gwPort = 0, cpPort = 0
let up: UpProcess

before(async () => {
  gwPort = await freePort(); cpPort = await freePort()
  dir = tempProject({
    'app.mjs': APP,
    'mesh.yaml': `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: 127.0.0.1:${cpPort} }, drainTimeout: 5s, trustDomain: example.org }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: back-end }
spec: { port: 80, selector: { app: back } }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: front }
spec: { port: 80, selector: { app: front } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: back, labels: { app: back } }
spec: { command: [node, app.mjs], replicas: 2, env: { CRASH_ONCE: "1", GREETING: hi }, identity: backend-sa }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: front, labels: { app: front } }
spec: { command: [node, app.mjs], upstreams: [{ service: back-end }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec: { listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /front } }]
      backendRefs: [{ name: front, port: 80 }]
    - backendRefs: [{ name: back-end, port: 80 }]
`,
  })
  up = new UpProcess(dir, ['-f', 'mesh.yaml'])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(dir, { recursive: true, force: true }) })

test('each app gets PORT, TRELLIS_* and its spec env, and runs in the defining folder', async () => {
  const r = await get(`http://127.0.0.1:${gwPort}/`)
  assert.equal(r.status, 200)
  const { env, cwd } = r.json()
  assert.equal(env.TRELLIS_WORKLOAD, 'back')
  assert.match(env.TRELLIS_REPLICA, /^[01]$/)
  assert.equal(env.TRELLIS_SERVICE, 'back-end')
  assert.equal(env.TRELLIS_IDENTITY, 'spiffe://example.org/ns/default/sa/backend-sa')
  assert.equal(env.GREETING, 'hi')
  assert.match(env.PORT, /^\d+$/)
  assert.equal(cwd, dir)
  const front = (await get(`http://127.0.0.1:${gwPort}/front`)).json()
  assert.match(front.env.TRELLIS_UPSTREAM_BACK_END, /^http:\/\/127\.0\.0\.1:\d+$/)
  const through = await get(`http://127.0.0.1:${gwPort}/front/call`)
  assert.equal(JSON.parse(through.body).env.TRELLIS_WORKLOAD, 'back', 'front reaches back-end through its upstream listener')
})

test('output is prefixed with the process name; a crashing app was restarted', () => {
  assert.match(up.stdout, /^back-0 \| exited \(code 3\); restarting in 100 ms$/m)
  assert.match(up.stdout, /^back-0 \| app up on \d+$/m)
  assert.match(up.stdout, /^front-0 \| app up on \d+$/m)
})

test('sidecars run with the proxy node flags (small young generation, one V8 helper thread)', () => {
  const instances = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { name: string; proxyPid: number }[]
  assert.ok(instances.length >= 3)
  for (const i of instances) {
    const argv = readFileSync(`/proc/${i.proxyPid}/cmdline`, 'utf8').split('\0')
    for (const flag of PROXY_NODE_FLAGS) assert.ok(argv.includes(flag), `${i.name}: ${argv.join(' ')}`)
    assert.ok(argv.includes('--v8-pool-size=1') && argv.includes('--max-semi-space-size=1'), argv.join(' '))
  }
})

test('a killed app or sidecar is restarted and traffic recovers', async () => {
  const instances = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { name: string; pid: number; proxyPid: number }[]
  const back0 = instances.find(i => i.name === 'default/back/0')!
  process.kill(back0.pid, 'SIGKILL')
  process.kill(back0.proxyPid, 'SIGKILL')
  await eventually('back/0 healthy again with new processes', async () => {
    const now = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { name: string; pid: number; healthy: boolean }[]
    const b = now.find(i => i.name === 'default/back/0')
    return b && b.healthy && b.pid !== back0.pid
  }, 20_000)
  for (let i = 0; i < 10; i++) assert.equal((await get(`http://127.0.0.1:${gwPort}/`)).status, 200)
})

test('a killed control plane is restarted; proxies reconnect and traffic never stops', async () => {
  const pid = Number(readFileSync(join(dir, '.trellis', 'control-plane.pid'), 'utf8'))
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 20; i++) { assert.equal((await get(`http://127.0.0.1:${gwPort}/`)).status, 200); await sleep(25) }
  await eventually('control plane back', async () => {
    const newPid = Number(readFileSync(join(dir, '.trellis', 'control-plane.pid'), 'utf8'))
    return newPid !== pid && alive(newPid)
  }, 15_000)
  await eventually('every proxy reconnected', async () => {
    const p = trellis(dir, 'get', 'proxies', '-o', 'json')
    if (p.status !== 0) return false
    const items = JSON.parse(p.stdout).items as { connected: boolean }[]
    return items.length === 4 && items.every(i => i.connected)
  }, 20_000)
})

test('a proxy started by hand joins with a token from `trellis token create`', async () => {
  const app = createServer((_req, res) => res.end(JSON.stringify({ env: { TRELLIS_WORKLOAD: 'by-hand' } })))
  await new Promise<void>(r => app.listen(0, '127.0.0.1', () => r()))
  const appPort = (app.address() as AddressInfo).port
  const created = trellis(dir, 'token', 'create', '--workload', 'back', '--ttl', '10m')
  assert.equal(created.status, 0, created.stderr)
  const token = created.stdout.trim()
  assert.match(token, /^[\w-]+\.[\w-]+$/)
  const env = { ...process.env, TRELLIS_TOKEN: token, TRELLIS_CONTROL_PLANE: `http://127.0.0.1:${cpPort}` }
  const wrong = spawnSync(process.execPath, [CLI, 'proxy', '--workload', 'front', '--replica', '7', '--app-port', String(appPort)], { env, encoding: 'utf8', timeout: 5000 })
  assert.match(wrong.stderr, /join token is for sidecars of workload default\/back/)
  const proxy = spawn(process.execPath, [CLI, 'proxy', '--workload', 'back', '--replica', '5', '--app-port', String(appPort)], { env, stdio: 'ignore' })
  try {
    await eventually('hand-started instance healthy', async () => {
      const items = JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { name: string; healthy: boolean }[]
      return items.some(i => i.name === 'default/back/5' && i.healthy)
    }, 15_000)
    await eventually('traffic reaches it', async () => (await get(`http://127.0.0.1:${gwPort}/`)).json().env.TRELLIS_WORKLOAD === 'by-hand', 10_000)
  } finally {
    // As `up` does: the sidecar leaves first (deregistered, drained), then the app goes.
    const exited = new Promise(r => proxy.once('exit', r))
    proxy.kill('SIGTERM')
    await exited
    app.close()
    await eventually('hand-started instance gone', async () =>
      !(JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { name: string }[]).some(i => i.name === 'default/back/5'), 10_000)
  }
})

test('shutdown lets an in-flight request finish, then exits 0', async () => {
  const slow = get(`http://127.0.0.1:${gwPort}/?delay=1500`)
  await sleep(300)
  const code = up.stop()
  const r = await slow
  assert.equal(r.status, 200)
  assert.equal(await code, 0)
})
