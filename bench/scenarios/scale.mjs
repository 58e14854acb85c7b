// (d) Scale: a Service `big` with 1000 static endpoints and 1000 HTTPRoute rules (63 mesh routes
// on Service `api`, 16 rules each, PathPrefix /r0000 … /r0999, every rule -> `big`), against the
// same mesh with 1 endpoint and 1 rule (/r0999). The endpoints are 1000 distinct loopback
// addresses, 127.0.0.{2..21} x ports BASE_PORT..BASE_PORT+49, all served by one node:http backend
// process (listening on each); the 1-endpoint run uses the first of them.
//   compile: loadAndCompile (dist/config/index.js, what `validate` and `up` run) in this process,
//            median of REPS_COMPILE warm runs after one cold run; and `trellis validate -f` wall
//            time (node start-up + module load included), median of REPS_CLI runs.
//   proxy:   a client sidecar (`trellis proxy --workload client`, local listener for `api`) joined
//            to a fresh control plane holding the big or the small config; RSS / RssAnon / PSS 2 s
//            after its first 200 (idle) and after the fixed-rate run; p50/p99 at RATE req/s for
//            SECONDS (peers.sh method: 10 staggered h2load --h1 clients) on GET /r0999.
//            Small and big alternate REPS times; ratios are taken per pair, then the median.
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { runScenario, QUICK, REPO, TRELLIS, tmp, freePort, startBackend, waitFor200, median, log, roundAll, startControlPlane,
  apply, startSidecar, memOf, sleep, h2loadRate, now, stop } from './lib.mjs'
import { execFileSync } from 'node:child_process'

const ENDPOINTS = Number(process.env.ENDPOINTS ?? 1000)
const RULES = Number(process.env.RULES ?? 1000)
const BASE_PORT = Number(process.env.BASE_PORT ?? 19100)
const REPS = Number(process.env.REPS ?? (QUICK ? 1 : 3))
const SECONDS = Number(process.env.SCALE_SECONDS ?? (QUICK ? 3 : 8))
const RATE = Number(process.env.RATE ?? 1000)
const REPS_COMPILE = Number(process.env.REPS_COMPILE ?? (QUICK ? 3 : 7))
const REPS_CLI = Number(process.env.REPS_CLI ?? (QUICK ? 3 : 5))
const PATH = `/r${String(RULES - 1).padStart(4, '0')}`

function addresses(n) {
  const out = []
  for (let i = 0; out.length < n; i++) out.push(`127.0.0.${2 + Math.floor(i / 50)}:${BASE_PORT + (i % 50)}`)
  return out
}

function config(endpoints, rules) {
  const docs = [`apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { drainTimeout: 1s }`,
  `apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: big }
spec:
  protocol: http
  port: 80
  endpoints:
${addresses(endpoints).map((a, i) => `    - { address: "${a}", labels: { shard: s${i % 10} } }`).join('\n')}`,
  `apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { protocol: http, port: 80 }`,
  `apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec:
  command: [node, client.js]
  upstreams: [{ service: api }]`]
  const first = RULES - rules // the small config keeps only the last rule (/r0999)
  for (let r = 0; first + r * 16 < RULES; r++) {
    const lines = []
    for (let k = first + r * 16; k < Math.min(first + (r + 1) * 16, RULES); k++) {
      lines.push(`    - matches: [{ path: { type: PathPrefix, value: /r${String(k).padStart(4, '0')} } }]\n      backendRefs: [{ name: big, port: 80 }]`)
    }
    docs.push(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-${String(r).padStart(3, '0')} }
spec:
  parentRefs: [{ kind: Service, name: api, port: 80 }]
  rules:
${lines.join('\n')}`)
  }
  return docs.join('\n---\n') + '\n'
}

// SCALE_CONFIG_ONLY=DIR: only write DIR/small.yaml and DIR/big.yaml (e.g. to profile the compiler).
if (process.env.SCALE_CONFIG_ONLY) {
  writeFileSync(join(process.env.SCALE_CONFIG_ONLY, 'small.yaml'), config(1, 1))
  writeFileSync(join(process.env.SCALE_CONFIG_ONLY, 'big.yaml'), config(ENDPOINTS, RULES))
  process.exit(0)
}

runScenario('scale', 120 + REPS * 2 * (SECONDS + 60), async () => {
  const dir = tmp('scale')
  const small = join(dir, 'small.yaml'), big = join(dir, 'big.yaml')
  writeFileSync(small, config(1, 1))
  writeFileSync(big, config(ENDPOINTS, RULES))

  // ---- compile time, in process
  const { loadAndCompile } = await import(pathToFileURL(join(REPO, 'dist/config/index.js')).href)
  const compile = {}
  for (const [name, file] of [['small', small], ['big', big]]) {
    const times = []
    let errors = 0, routes = null
    for (let i = 0; i <= REPS_COMPILE; i++) {
      const t0 = now()
      const r = loadAndCompile([file])
      times.push(now() - t0)
      errors = r.diagnostics.filter(d => d.severity === 'error').length
      if (errors) throw new Error(`${name} config invalid: ${JSON.stringify(r.diagnostics.slice(0, 3))}`)
    }
    compile[name] = { cold_ms: times[0], warm_median_ms: median(times.slice(1)), warm_runs_ms: times.slice(1), bytes: Buffer.byteLength(config(name === 'big' ? ENDPOINTS : 1, name === 'big' ? RULES : 1)) }
    void routes
  }
  log(`compile: small ${compile.small.warm_median_ms.toFixed(1)} ms, big ${compile.big.warm_median_ms.toFixed(1)} ms (warm medians)`)
  // ---- `trellis validate -f` wall time
  const validate = {}
  for (const [name, file] of [['small', small], ['big', big]]) {
    const times = []
    for (let i = 0; i < REPS_CLI; i++) {
      const t0 = now()
      execFileSync(process.execPath, [TRELLIS, 'validate', '-f', file], { stdio: 'ignore', timeout: 60000 })
      times.push(now() - t0)
    }
    validate[name] = { median_ms: median(times), runs_ms: times }
  }
  log(`validate: small ${validate.small.median_ms.toFixed(0)} ms, big ${validate.big.median_ms.toFixed(0)} ms`)

  // ---- proxy memory and latency
  const backend = await startBackend(dir, { addrs: addresses(ENDPOINTS) })
  const runs = { small: [], big: [] }
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, file] of (rep % 2 ? [['big', big], ['small', small]] : [['small', small], ['big', big]])) {
      const cp = await startControlPlane(`scale-cp-${name}`)
      const t0 = now()
      apply(cp, file)
      const applyMs = now() - t0
      const port = await freePort(18400)
      const ts = now()
      const sc = startSidecar(cp, 'client', backend.port, { upstreamPorts: { api: port } })
      const readyMs = await waitFor200(`http://127.0.0.1:${port}${PATH}`, { t0: ts, rec: sc, timeoutMs: 60000, everyMs: 5 })
      await sleep(2000)
      const idle = memOf(sc.pid)
      // mid-run: established connections from the sidecar to the backend addresses, and how many distinct ones
      let upstream = null
      const sampler = sleep((SECONDS / 2 + 1) * 1000).then(() => {
        const lines = execFileSync('ss', ['-Htn', 'state', 'established', `( dport >= :${BASE_PORT} and dport <= :${BASE_PORT + 49} )`], { encoding: 'utf8' }).split('\n').filter(Boolean)
        const peers = new Set(lines.map(l => l.trim().split(/\s+/).at(-1)))
        upstream = { connections: lines.length, distinct_endpoints: peers.size }
      })
      const lat = await h2loadRate(`http://127.0.0.1:${port}${PATH}`, { rate: RATE, seconds: SECONDS, dir })
      await sampler
      lat.upstream = upstream
      await sleep(500)
      const after = memOf(sc.pid)
      runs[name].push({ apply_ms: applyMs, ready_ms: readyMs, idle, after, rate: lat })
      log(`${name}: apply ${applyMs.toFixed(0)} ms, ready ${readyMs.toFixed(0)} ms, anon idle ${idle.rss_anon_mb.toFixed(1)} MB, p50 ${lat.p50_ms} p99 ${lat.p99_ms} ms, non-200 ${lat.non200}, upstream ${JSON.stringify(upstream)}`)
      await stop(sc)
      await stop(cp.rec)
    }
  }
  const pair = f => median(runs.big.map((b, i) => runs.small[i] ? f(b, runs.small[i]) : null))
  const med = (name, f) => median(runs[name].map(f))
  return roundAll({
    endpoints: ENDPOINTS, rules: RULES, path: PATH, rate: RATE, seconds: SECONDS, reps: REPS,
    compile_in_process: compile, validate_cli: validate,
    proxy: {
      small: { apply_ms: med('small', r => r.apply_ms), ready_ms: med('small', r => r.ready_ms), rss_idle_mb: med('small', r => r.idle.rss_mb), anon_idle_mb: med('small', r => r.idle.rss_anon_mb), pss_idle_mb: med('small', r => r.idle.pss_mb), rss_after_mb: med('small', r => r.after.rss_mb), anon_after_mb: med('small', r => r.after.rss_anon_mb), p50_ms: med('small', r => r.rate.p50_ms), p99_ms: med('small', r => r.rate.p99_ms), upstream_endpoints_used: med('small', r => r.rate.upstream?.distinct_endpoints ?? null), upstream_connections: med('small', r => r.rate.upstream?.connections ?? null), non200: runs.small.reduce((a, r) => a + r.rate.non200 + r.rate.failed + r.rate.errored, 0) },
      big: { apply_ms: med('big', r => r.apply_ms), ready_ms: med('big', r => r.ready_ms), rss_idle_mb: med('big', r => r.idle.rss_mb), anon_idle_mb: med('big', r => r.idle.rss_anon_mb), pss_idle_mb: med('big', r => r.idle.pss_mb), rss_after_mb: med('big', r => r.after.rss_mb), anon_after_mb: med('big', r => r.after.rss_anon_mb), p50_ms: med('big', r => r.rate.p50_ms), p99_ms: med('big', r => r.rate.p99_ms), upstream_endpoints_used: med('big', r => r.rate.upstream?.distinct_endpoints ?? null), upstream_connections: med('big', r => r.rate.upstream?.connections ?? null), non200: runs.big.reduce((a, r) => a + r.rate.non200 + r.rate.failed + r.rate.errored, 0) },
      delta_rss_idle_mb: pair((b, s) => b.idle.rss_mb - s.idle.rss_mb),
      delta_anon_idle_mb: pair((b, s) => b.idle.rss_anon_mb - s.idle.rss_anon_mb),
      delta_rss_after_mb: pair((b, s) => b.after.rss_mb - s.after.rss_mb),
      delta_anon_after_mb: pair((b, s) => b.after.rss_anon_mb - s.after.rss_anon_mb),
      p99_ratio: pair((b, s) => b.rate.p99_ms / s.rate.p99_ms),
      p50_ratio: pair((b, s) => b.rate.p50_ms / s.rate.p50_ms),
    },
    runs,
    targets: { compile_ms: 200, memory_delta_mb: 20, p99_ratio: 1.5 },
  }, 3)
})
