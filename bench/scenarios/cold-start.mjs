// (f) Cold start to first proxied 200: time from spawn until the first 200 through the proxy,
// polled every 2 ms from this process; median of REPS starts (5, quick 3) of:
//   - standalone: `trellis proxy --listen 127.0.0.1:P --upstream http://backend`
//   - bare node:http proxy (the peers.sh node-http script), as the same-run baseline
//   - sidecar: `trellis proxy --workload client --app-port …` joining a running control plane,
//     until its outbound listener for Service `app` answers 200 (through a server sidecar
//     already running in front of the backend): register, first config, listener bound.
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { runScenario, QUICK, TRELLIS, start, stop, tmp, freePort, startBackend, waitFor200, now, median, log, roundAll,
  startControlPlane, apply, startSidecar, memOf, sleep, proxyNodeFlags } from './lib.mjs'

const REPS = Number(process.env.REPS ?? (QUICK ? 3 : 5))

const NODE_HTTP = `
const http = require('http');
const up = new URL(process.env.BACKEND_URL);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
http.createServer((req, res) => {
  const preq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent }, (pres) => {
    res.writeHead(pres.statusCode, pres.headers); pres.pipe(res);
  });
  preq.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(preq);
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`

runScenario('cold-start', QUICK ? 120 : 240, async () => {
  const dir = tmp('cold')
  const backend = await startBackend(dir)
  writeFileSync(join(dir, 'node-http.cjs'), NODE_HTTP)
  const runs = { standalone: [], node_http: [], sidecar: [] }
  const mem = { standalone: [], node_http: [], sidecar: [] }

  async function once(kind, cmd, args, url, env = {}) {
    const t0 = now()
    const rec = start(kind, cmd, args, { env })
    try {
      const ms = await waitFor200(url, { t0, rec, timeoutMs: 20000, everyMs: 2 })
      runs[kind].push(ms)
      await sleep(300)
      mem[kind].push(memOf(rec.pid))
      log(`${kind}: ${ms.toFixed(0)} ms`)
    } finally { await stop(rec) }
  }

  for (let i = 0; i < REPS; i++) {
    const p = await freePort(18600)
    await once('standalone', process.execPath, [...proxyNodeFlags(), TRELLIS, 'proxy', '--listen', `127.0.0.1:${p}`, '--upstream', backend.url], `http://127.0.0.1:${p}/`)
    const q = await freePort(18600)
    await once('node_http', process.execPath, [join(dir, 'node-http.cjs')], `http://127.0.0.1:${q}/`, { PORT: String(q), BACKEND_URL: backend.url })
  }

  // Sidecar mode: a control plane and a server sidecar stay up; the client sidecar is started REPS times.
  const cp = await startControlPlane('cold-cp')
  const cfg = join(dir, 'mesh.yaml')
  const outPort = await freePort(18600)
  writeFileSync(cfg, `apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { drainTimeout: 1s }
---
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: app }
spec: { protocol: http, port: 80, selector: { app: app } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: app, labels: { app: app } }
spec: { command: [node, app.js] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec:
  command: [node, client.js]
  upstreams: [{ service: app, localPort: ${outPort} }]
`)
  apply(cp, cfg)
  const server = startSidecar(cp, 'app', backend.port)
  const appUrl = `http://127.0.0.1:${outPort}/`
  // warm the path once (server sidecar healthy) with a throw-away client sidecar
  {
    const c = startSidecar(cp, 'client', backend.port, { name: 'client-warm' })
    await waitFor200(appUrl, { rec: c, timeoutMs: 30000, everyMs: 20 })
    await stop(c)
  }
  for (let i = 0; i < REPS; i++) {
    const t0 = now()
    const c = startSidecar(cp, 'client', backend.port, { name: 'client', replica: 0 })
    try {
      const ms = await waitFor200(appUrl, { t0, rec: c, timeoutMs: 20000, everyMs: 2 })
      runs.sidecar.push(ms)
      await sleep(300)
      mem.sidecar.push(memOf(c.pid))
      log(`sidecar: ${ms.toFixed(0)} ms`)
    } finally { await stop(c) }
  }
  void server

  const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]))
  return roundAll({
    reps: REPS,
    ready_ms: { runs, median: med },
    ratio_standalone_vs_node_http: med.standalone / med.node_http,
    rss_just_after_start_mb: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, median(v.map(m => m.rss_mb))])),
    anon_just_after_start_mb: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, median(v.map(m => m.rss_anon_mb))])),
    target: { what: 'cold start to first proxied 200', goal_ms: 150 },
  }, 1)
})
