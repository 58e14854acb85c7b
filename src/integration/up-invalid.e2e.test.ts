// An invalid config: `up` exits 1 with the error lines and starts nothing; `validate` agrees.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { freePort } from '../supervisor/free-port.js'
import { get } from './harness/http.js'
import { UpProcess, tempProject, trellis } from './harness/up-process.js'

test('up on an invalid config exits 1, prints FILE:LINE:COL lines and starts nothing', async () => {
  const cpPort = await freePort()
  const dir = tempProject({
    'mesh.yaml': `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: 127.0.0.1:${cpPort} } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api }
spec:
  command: [node, app.mjs]
  replicas: three
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: web }
spec: { command: [node, web.mjs], upstreams: [{ service: nowhere }] }
`,
  })
  try {
    const up = new UpProcess(dir, ['-f', 'mesh.yaml'])
    const code = await up.exited
    assert.equal(code, 1)
    assert.match(up.stderr, /^mesh\.yaml:11:13: spec\.replicas: /m)
    assert.match(up.stderr, /^mesh\.yaml:16:\d+: spec\.upstreams\[0\]\.service: Service "nowhere" not found/m)
    assert.doesNotMatch(up.stdout, /ready/)
    assert.equal(existsSync(join(dir, '.trellis')), false, 'no state written')
    await assert.rejects(get(`http://127.0.0.1:${cpPort}/readyz`), 'no control plane started')
    const v = trellis(dir, 'validate', '-f', 'mesh.yaml')
    assert.equal(v.status, 1)
    assert.equal(v.stderr.trim().split('\n').length, 2, v.stderr)
  } finally { rmSync(dir, { recursive: true, force: true }) }
})

test('up refuses to start when a fixed address it needs is taken, and says which', async () => {
  const cpPort = await freePort(), gwPort = await freePort()
  const blocker = createServer().listen(gwPort, '127.0.0.1')
  const dir = tempProject({
    'mesh.yaml': `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: 127.0.0.1:${cpPort} } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec: { listeners: [{ name: web, port: ${gwPort}, protocol: HTTP }] }
`,
  })
  try {
    const up = new UpProcess(dir, ['-f', 'mesh.yaml'])
    assert.equal(await up.exited, 1)
    assert.match(up.stderr, new RegExp(`127\\.0\\.0\\.1:${gwPort} is already in use .*Gateway default/edge listener web`))
    await assert.rejects(get(`http://127.0.0.1:${cpPort}/readyz`), 'nothing started')
  } finally { blocker.close(); rmSync(dir, { recursive: true, force: true }) }
})
