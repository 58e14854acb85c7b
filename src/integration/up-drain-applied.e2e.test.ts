// `trellis up` drains on shutdown for the Mesh's drainTimeout as last applied, not as it was at start;
// meanwhile its gateway takes no new connections, and one being removed is waited for.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { freePort } from '../supervisor/free-port.js'
import { eventually, get, sleep } from './harness/http.js'
import { UpProcess, alive, tempProject, trellis } from './harness/up-process.js'
import { docs, gateway, httpRoute, service } from './harness/fixtures.js'

const APP = `
import { createServer } from 'node:http'
createServer((req, res) => {
  const delay = Number(new URL(req.url, 'http://x').searchParams.get('delay') ?? 0)
  setTimeout(() => res.end('done'), delay)
}).listen(Number(process.env.PORT), '127.0.0.1')
`
const mesh = (cpPort: number, drain: string) => `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: 127.0.0.1:${cpPort} }, drainTimeout: ${drain} }
`
const rest = (gwPort: number) => docs(
  service('slow'),
  `apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: slow, labels: { app: slow } }
spec: { command: [node, app.mjs] }
`,
  gateway('edge', gwPort), httpRoute('edge', ['edge'], 'slow'),
)
const side = (port: number) => docs(gateway('side', port), httpRoute('side', ['side'], 'slow'))

/** True when a TCP connection to 127.0.0.1:port is accepted. */
function connects(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true) })
    socket.on('error', () => resolve(false))
  })
}

let dir = '', gwPort = 0, cpPort = 0, sidePort = 0
let up: UpProcess

before(async () => {
  gwPort = await freePort(); cpPort = await freePort(); sidePort = await freePort()
  dir = tempProject({ 'app.mjs': APP, 'mesh.yaml': `${mesh(cpPort, '1s')}---\n${rest(gwPort)}---\n${side(sidePort)}`, 'side.yaml': side(sidePort) })
  up = new UpProcess(dir, ['-f', 'mesh.yaml'])
  await up.ready()
})
after(async () => { await up.stop(); rmSync(dir, { recursive: true, force: true }) })

test('a request in flight at shutdown gets the drainTimeout applied last; no gateway outlives up', async () => {
  writeFileSync(join(dir, 'drain.yaml'), mesh(cpPort, '20s'))
  const applied = trellis(dir, 'apply', '-f', 'drain.yaml', '--wait')
  assert.equal(applied.status, 0, applied.stderr)
  const pids = (JSON.parse(trellis(dir, 'get', 'proxies', '-o', 'json').stdout).items as { pid: number }[]).map(p => p.pid)
  // A Gateway deleted while a request is in flight on it drains; up's shutdown waits for it too.
  const onSide = get(`http://127.0.0.1:${sidePort}/?delay=6000`)
  await sleep(500)
  assert.equal(trellis(dir, 'delete', '-f', 'side.yaml').status, 0)
  await eventually('the deleted gateway stopped taking connections', async () => !(await connects(sidePort)), 15_000)
  const slow = get(`http://127.0.0.1:${gwPort}/?delay=2000`)
  await sleep(500)
  const code = up.stop(60_000)
  await eventually('the gateway refuses new connections while it drains', async () => !(await connects(gwPort)), 10_000)
  const r = await slow.catch(err => ({ status: 0, body: (err as Error).message }))
  assert.equal(r.status, 200, `the request in flight was cut: ${r.body}`)
  assert.equal(await code, 0)
  assert.deepEqual(pids.filter(alive), [], 'processes left running after up exited')
  assert.equal((await onSide.catch(err => ({ status: 0, body: (err as Error).message }))).status, 200, 'the request on the deleted gateway finished')
})
