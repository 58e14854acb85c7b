// When `trellis up` is killed outright, its apps outlive it (they run in their own process groups so
// Ctrl-C reaches only `up`); the next `up` on the same state folder stops them before starting.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { freePort } from '../supervisor/free-port.js'
import { eventually, sleep } from './harness/http.js'
import { ECHO_APP, UpProcess, alive, tempProject, trellis } from './harness/up-process.js'

test('apps left behind by a killed up are stopped by the next up', async () => {
  const cpPort = await freePort()
  const dir = tempProject({
    'app.mjs': ECHO_APP,
    'mesh.yaml': `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: 127.0.0.1:${cpPort} }, drainTimeout: 1s }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api }
spec: { command: [node, app.mjs], replicas: 2 }
`,
  })
  let second: UpProcess | null = null
  try {
    const first = new UpProcess(dir, ['-f', 'mesh.yaml'])
    await first.ready()
    const pids = (JSON.parse(trellis(dir, 'get', 'instances', '-o', 'json').stdout).items as { pid: number }[]).map(i => i.pid)
    assert.equal(pids.length, 2)
    first.child.kill('SIGKILL')
    await first.exited
    await sleep(1500) // the control plane and sidecars notice their parent is gone and exit
    assert.ok(pids.every(alive), 'the apps outlived the killed up')
    second = new UpProcess(dir, ['-f', 'mesh.yaml'])
    await second.ready()
    assert.match(second.stderr, /stopped [2-5] process\(es\) left running by an earlier `trellis up`/)
    await eventually('old apps gone', async () => pids.every(p => !alive(p)), 5000)
    assert.equal(await second.stop(), 0)
  } finally {
    if (second && second.child.exitCode === null) second.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
})
