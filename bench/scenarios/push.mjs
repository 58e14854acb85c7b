// (c) Config push under load: `trellis up` with WORKLOADS x REPLICAS sidecars (25 x 2 = 50; quick
// 5 x 2 = 10), each in front of a tiny node:http app, plus one gateway whose HTTPRoute splits
// between Services w00 and w01 by weight. A fixed-rate load (RATE=1000 req/s, loadgen.mjs, 16
// keep-alive connections) runs through the gateway the whole time. The canary weight is changed
// CHANGES times (20; quick 5) with `trellis apply -f canary.yaml` (no --wait), GAP_MS apart
// once the previous change is acknowledged everywhere. For each change, GET /api/v1/proxies (admin
// token from the state folder) is polled every POLL_MS (5) ms, one request at a time, and for each
// proxy the first poll showing ackedVersion >= the new version gives its time-to-ack, counted from
// the start of the `trellis apply` process (so the CLI's own start-up is included; the figure from
// the moment apply returned is reported too). Then API_CHANGES (5; quick 3) more changes are made
// with the same POST /api/v1/apply from this process, without the CLI. Reports time-to-ack
// p50/p99/max over all proxies and changes, the count of failed requests (non-200, errors, unanswered), the
// time `up` took to print `ready`, and the memory of the whole tree.
import { join } from 'node:path'
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { runScenario, QUICK, TRELLIS, REPO, start, stop, tmp, freePort, median, log, roundAll, sleep, now, httpGet, pct,
  treePids, memOf } from './lib.mjs'

const WORKLOADS = Number(process.env.WORKLOADS ?? (QUICK ? 5 : 25))
const REPLICAS = Number(process.env.REPLICAS ?? 2)
const CHANGES = Number(process.env.CHANGES ?? (QUICK ? 5 : 20))
const RATE = Number(process.env.RATE ?? 1000)
const POLL_MS = Number(process.env.POLL_MS ?? 5)
const GAP_MS = Number(process.env.GAP_MS ?? 500)
const API_CHANGES = Number(process.env.API_CHANGES ?? (QUICK ? 3 : 5))
const ACK_TIMEOUT_MS = 15000
const UP_ATTEMPTS = Number(process.env.UP_ATTEMPTS ?? 3)

const APP = `import { createServer } from 'node:http'
const body = Buffer.from(process.env.TRELLIS_WORKLOAD + '\\n')
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body) })
  .listen(Number(process.env.PORT), '127.0.0.1')
`

const pad = i => String(i).padStart(2, '0')
function canary(weight) {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: canary }
spec:
  parentRefs: [{ kind: Gateway, name: edge }]
  rules:
    - backendRefs:
        - { name: w00, port: 80, weight: ${100 - weight} }
        - { name: w01, port: 80, weight: ${weight} }
`
}

runScenario('push', 120 + UP_ATTEMPTS * 160 + (CHANGES + API_CHANGES) * 20 + WORKLOADS * REPLICAS * 2, async () => {
  const dir = tmp('push')
  const cfgDir = join(dir, 'mesh'); mkdirSync(cfgDir)
  const cpPort = await freePort(18300), gwPort = await freePort(18300)
  writeFileSync(join(cfgDir, 'app.mjs'), APP)
  const docs = [`apiVersion: trellis.dev/v1alpha1
kind: Mesh
metadata: { name: default }
spec: { controlPlane: { listen: "127.0.0.1:${cpPort}" }, drainTimeout: 1s }`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }]`]
  for (let i = 0; i < WORKLOADS; i++) {
    docs.push(`apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: w${pad(i)} }
spec: { protocol: http, port: 80, selector: { app: w${pad(i)} } }`,
    `apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: w${pad(i)}, labels: { app: w${pad(i)} } }
spec: { command: [node, app.mjs], replicas: ${REPLICAS} }`)
  }
  writeFileSync(join(cfgDir, 'mesh.yaml'), docs.join('\n---\n') + '\n')
  writeFileSync(join(cfgDir, 'canary.yaml'), canary(10))

  // ---- trellis up (up to UP_ATTEMPTS times: a start that never gets ready is recorded, with the
  // EADDRINUSE lines of its output, and retried from a fresh state folder)
  const upFailures = []
  let up, upReadyMs, state
  for (let attempt = 1; ; attempt++) {
    state = join(dir, `state-${attempt}`)
    const t0 = now()
    up = start('up', process.execPath, [TRELLIS, 'up', '-f', cfgDir, '--state', state], { stdout: 'pipe' })
    let upOut = ''
    const rec = up
    const ready = new Promise((resolve, reject) => {
      rec.child.stdout.on('data', d => { upOut = (upOut + d).slice(-200000); if (/^ready$/m.test(upOut)) resolve() })
      rec.child.on('exit', c => reject(new Error(`up exited ${c}: ${rec.stderr.slice(-300).trim()}`)))
    })
    try {
      await Promise.race([ready, sleep(300000).then(() => { throw new Error('up not ready in 300 s') })])
      upReadyMs = now() - t0
      up.child.stdout.removeAllListeners('data'); up.child.stdout.resume()
      break
    } catch (err) {
      const inUse = [...new Set(upOut.split('\n').filter(l => /EADDRINUSE/.test(l)))]
      upFailures.push({ attempt, error: err.message, after_ms: now() - t0, eaddrinuse: inUse })
      log(`up attempt ${attempt} failed: ${err.message}; EADDRINUSE lines: ${inUse.join(' / ') || 'none'}`)
      await stop(up, 20000)
      if (attempt >= UP_ATTEMPTS) throw new Error(`up never ready in ${attempt} attempts: ${JSON.stringify(upFailures)}`)
    }
  }
  log(`up ready in ${(upReadyMs / 1000).toFixed(1)} s`)
  const token = readFileSync(join(state, 'admin-token'), 'utf8').trim()
  const cpUrl = `http://127.0.0.1:${cpPort}`
  const getJson = async path => {
    const r = await httpGet(`${cpUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 5000 })
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`)
    return JSON.parse(r.body)
  }
  const proxies0 = (await getJson('/api/v1/proxies')).items
  const sidecars = proxies0.filter(p => p.kind === 'sidecar'), gateways = proxies0.filter(p => p.kind === 'gateway')
  log(`${sidecars.length} sidecars, ${gateways.length} gateway(s)`)
  if (sidecars.length !== WORKLOADS * REPLICAS) throw new Error(`expected ${WORKLOADS * REPLICAS} sidecars, got ${sidecars.length}`)

  // memory of the whole tree, and per sidecar
  await sleep(1000)
  const treeAll = treePids(up.pid)
  const sidecarMem = sidecars.map(p => memOf(p.pid))
  const treeRssMb = treeAll.reduce((a, p) => a + (memOf(p).rss_mb ?? 0), 0)
  const treePssMb = treeAll.reduce((a, p) => a + (memOf(p).pss_mb ?? 0), 0)

  // ---- background load through the gateway
  const gwUrl = `http://127.0.0.1:${gwPort}/`
  const lg = start('loadgen', process.execPath, [join(REPO, 'bench/scenarios/loadgen.mjs'), gwUrl, String(RATE), String(60 + (CHANGES + API_CHANGES) * 20), '16'], { stdout: 'pipe' })
  let lgOut = ''
  lg.child.stdout.on('data', d => { lgOut += d })
  await sleep(2000)

  // ---- changes
  const acks = [] // ms from apply start, every proxy, every change
  const acksAfterReturn = []
  const acksAfterSent = []
  const perChange = []
  const pollPeriods = []
  let weight = 10
  // via: 'cli' = `trellis apply` (the headline figure); 'api' = the same POST /api/v1/apply the
  // CLI makes, from this process, to separate the CLI's own start-up from the push.
  const apiAcks = []
  async function change(c, via) {
    weight = weight === 10 ? 50 : 10
    const text = canary(weight)
    writeFileSync(join(cfgDir, 'canary.yaml'), text)
    const before = (await getJson('/api/v1/status')).version
    const target = before + 1
    const pending = new Map((await getJson('/api/v1/proxies')).items.filter(p => p.connected).map(p => [p.name, p]))
    const ta = now()
    let applyDone = null, applyOut = '', apKill = null
    if (via === 'cli') {
      const ap = spawn(process.execPath, [TRELLIS, 'apply', '-f', join(cfgDir, 'canary.yaml'), '--state', state], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
      ap.stdout.on('data', d => { applyOut += d })
      ap.stderr.on('data', d => { applyOut += d })
      ap.on('exit', () => { applyDone = now() - ta })
      apKill = setTimeout(() => ap.kill('SIGKILL'), 30000)
    } else {
      fetch(`${cpUrl}/api/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sources: [{ file: 'canary.yaml', dir: cfgDir, text }] }), signal: AbortSignal.timeout(30000) })
        .then(r => r.json()).then(b => { applyOut = `version ${b.version}`; applyDone = now() - ta }, e => { applyOut = String(e); applyDone = now() - ta })
    }
    const acked = {}, sent = {}
    let lastPoll = now()
    while (pending.size && now() - ta < ACK_TIMEOUT_MS) {
      const items = (await getJson('/api/v1/proxies')).items
      const t = now() - ta
      pollPeriods.push(now() - lastPoll); lastPoll = now()
      for (const p of items) {
        if (sent[p.name] === undefined && p.configVersion >= target) sent[p.name] = t
        if (pending.has(p.name) && p.ackedVersion >= target) { acked[p.name] = t; pending.delete(p.name) }
      }
      if (pending.size) await sleep(POLL_MS)
    }
    while (applyDone === null && now() - ta < 35000) await sleep(5)
    clearTimeout(apKill)
    const version = Number(applyOut.match(/version (\d+)/)?.[1] ?? NaN)
    const times = Object.values(acked)
    const firstSent = Math.min(...Object.values(sent))
    if (via === 'cli') {
      acks.push(...times)
      acksAfterReturn.push(...times.map(t => t - applyDone))
      // from the first poll that showed the new version as sent to that proxy (configVersion)
      acksAfterSent.push(...Object.entries(acked).map(([n, t]) => t - (sent[n] ?? t)))
    } else apiAcks.push(...times)
    times.sort((a, b) => a - b)
    perChange.push({ change: c + 1, via, weight, version, expected_version: target, apply_ms: applyDone, first_sent_ms: firstSent, acked: times.length, not_acked: [...pending.keys()], p50_ms: pct(times, 0.5), max_ms: times.at(-1) ?? null })
    log(`change ${c + 1} (${via}): v${version} weight ${weight}: first sent seen ${firstSent.toFixed(0)} ms, apply returned ${applyDone?.toFixed(0)} ms, ${times.length} acks, p50 ${pct(times, 0.5)?.toFixed(0)} max ${times.at(-1)?.toFixed(0)} ms${pending.size ? `, NOT acked: ${[...pending.keys()].join(' ')}` : ''}`)
    if (version !== target) log(`warning: apply reported version ${version}, expected ${target}`)
    await sleep(GAP_MS)
  }
  for (let c = 0; c < CHANGES; c++) await change(c, 'cli')
  for (let c = 0; c < API_CHANGES; c++) await change(CHANGES + c, 'api')

  // ---- stop the load, then up
  await sleep(1000)
  const lgExit = new Promise(r => lg.exited ? r() : lg.child.on('exit', r))
  lg.child.kill('SIGTERM')
  await Promise.race([lgExit, sleep(8000)])
  let load = null
  try { load = JSON.parse(lgOut.trim().split('\n').at(-1)) } catch { load = { error: 'no loadgen summary', raw: lgOut.slice(-500) } }
  await stop(lg)
  const tStop = now()
  await stop(up, 20000)
  const stopMs = now() - tStop
  const leftover = treeAll.filter(p => { try { process.kill(p, 0); return true } catch { return false } })

  const sorted = [...acks].sort((a, b) => a - b), sortedR = [...acksAfterReturn].sort((a, b) => a - b)
  pollPeriods.sort((a, b) => a - b)
  const notAcked = perChange.reduce((a, c) => a + c.not_acked.length, 0)
  return roundAll({
    workloads: WORKLOADS, replicas: REPLICAS, sidecars: sidecars.length, gateways: gateways.length, changes: CHANGES, rate: RATE,
    up_ready_ms: upReadyMs, up_failures: upFailures, up_stop_ms: stopMs, processes_left_after_stop: leftover.length,
    memory: { tree_processes: treeAll.length, tree_rss_mb: treeRssMb, tree_pss_mb: treePssMb,
      sidecar_rss_mb_median: median(sidecarMem.map(m => m.rss_mb)), sidecar_anon_mb_median: median(sidecarMem.map(m => m.rss_anon_mb)), sidecar_pss_mb_median: median(sidecarMem.map(m => m.pss_mb)) },
    time_to_ack_ms: { from_apply_start: { n: sorted.length, p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), max: sorted.at(-1) ?? null },
      from_apply_return: { n: sortedR.length, p50: pct(sortedR, 0.5), p99: pct(sortedR, 0.99), max: sortedR.at(-1) ?? null },
      from_sent_seen: (() => { const v = [...acksAfterSent].sort((a, b) => a - b); return { n: v.length, p50: pct(v, 0.5), p99: pct(v, 0.99), max: v.at(-1) ?? null } })(),
      first_sent_ms_median: median(perChange.filter(c => c.via === 'cli').map(c => c.first_sent_ms)),
      apply_cli_ms_median: median(perChange.filter(c => c.via === 'cli').map(c => c.apply_ms)),
      from_api_post: (() => { const v = [...apiAcks].sort((a, b) => a - b); return { changes: API_CHANGES, n: v.length, p50: pct(v, 0.5), p99: pct(v, 0.99), max: v.at(-1) ?? null, post_ms_median: median(perChange.filter(c => c.via === 'api').map(c => c.apply_ms)) } })(), not_acked_in_15s: notAcked },
    poll_period_ms: { p50: pct(pollPeriods, 0.5), p99: pct(pollPeriods, 0.99) },
    load, failed_requests: load?.failed ?? null,
    per_change: perChange,
    targets: { push_p99_ms: 1000, failed_requests: 0 },
  }, 1)
})
