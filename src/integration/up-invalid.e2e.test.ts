// An invalid config: `up` exits 1 with the error lines and starts nothing; `validate` agrees.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, rmSync } from 'node:fs'
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
