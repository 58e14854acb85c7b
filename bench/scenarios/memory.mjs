// (e) Memory with 10 sidecars on the machine: a control plane (memory store), one Workload `mem`
// with N=10 replicas, each a `trellis proxy --workload mem --replica i` in front of one shared
// node:http backend (the app), each with a local listener for Service `mem` (itself).
// Idle: 2 s after every sidecar has its config and has proxied one request.
// After load: `wrk -t1 -c50` for SECONDS (5, quick 2) through each sidecar's outbound listener in
// turn (so every sidecar serves outbound traffic once and inbound traffic from the others).
// Per sidecar, from /proc/PID/status and /proc/PID/smaps_rollup: RSS, RssAnon, PSS (and its anon
// and file parts) and USS (Private_Clean + Private_Dirty). PSS divides shared pages (the node
// binary, shared libraries) among every process that maps them, so it depends on how many node
// processes run on the machine: the count is recorded.
import { join } from 'node:path'
import { writeFileSync, readdirSync, readFileSync } from 'node:fs'
import { runScenario, QUICK, tmp, freePort, startBackend, waitFor200, median, log, roundAll, startControlPlane, apply,
  startSidecar, memOf, sleep, wrk } from './lib.mjs'

const N = Number(process.env.SIDECARS ?? 10)
const SECONDS = Number(process.env.SECONDS_PER_SIDECAR ?? (QUICK ? 2 : 5))

function nodeProcesses() {
  let n = 0
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try { if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'node') n++ } catch {}
  }
  return n
}

runScenario('memory', 60 + N * (SECONDS + 25), async () => {
  const dir = tmp('mem')
  const backend = await startBackend(dir)
  const cp = await startControlPlane('mem-cp')
  const cfg = join(dir, 'mesh.yaml')
  writeFileSync(cfg, `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { drainTimeout: 1s }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: mem }
spec: { protocol: http, port: 80, selector: { app: mem } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: mem, labels: { app: mem } }
spec:
  command: [node, app.js]
  replicas: ${N}
  upstreams: [{ service: mem }]
`)
  apply(cp, cfg)
  const sidecars = []
  for (let i = 0; i < N; i++) {
    const port = await freePort(18500)
    sidecars.push({ port, rec: startSidecar(cp, 'mem', backend.port, { replica: i, upstreamPorts: { mem: port } }) })
  }
  for (const s of sidecars) await waitFor200(`http://127.0.0.1:${s.port}/`, { rec: s.rec, timeoutMs: 60000, everyMs: 20 })
  log(`${N} sidecars ready`)
  await sleep(2000)
  const idle = sidecars.map(s => memOf(s.rec.pid))
  const cpIdle = memOf(cp.rec.pid)
  const nodeIdle = nodeProcesses()

  const loads = []
  for (const s of sidecars) {
    const r = await wrk(`http://127.0.0.1:${s.port}/`, { conns: 50, seconds: SECONDS })
    loads.push({ rps: r.rps, non2xx: r.non2xx })
    log(`sidecar ${s.rec.pid}: ${r.rps.toFixed(0)} rps`)
  }
  await sleep(1000)
  const after = sidecars.map(s => memOf(s.rec.pid))
  const cpAfter = memOf(cp.rec.pid)

  const keys = ['rss_mb', 'rss_anon_mb', 'pss_mb', 'pss_anon_mb', 'pss_file_mb', 'uss_mb', 'hwm_mb']
  const agg = list => Object.fromEntries(keys.map(k => [k, { median: median(list.map(m => m[k])), max: Math.max(...list.map(m => m[k] ?? 0)), min: Math.min(...list.map(m => m[k] ?? Infinity)) }]))
  return roundAll({
    sidecars: N, load_seconds_per_sidecar: SECONDS, node_processes_on_machine: nodeIdle,
    idle: agg(idle), after_load: agg(after), control_plane: { idle: cpIdle, after_load: cpAfter },
    per_sidecar: { idle, after_load: after }, load: loads,
    targets: { idle_rss_mb: 50, after_load_rss_mb: 70, pss_mb: 25 },
  }, 1)
})
