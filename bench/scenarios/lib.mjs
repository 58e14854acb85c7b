// Shared helpers of the bench/scenarios/*.mjs scripts: process start/stop by PID (with every
// descendant), a hard deadline per script, /proc memory readers, control-plane set-up, load
// generation on 127.0.0.1 and small statistics. Loopback only; nothing here is a test.
import { spawn, execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync, mkdirSync, readdirSync, openSync } from 'node:fs'
import { createServer, request, Agent } from 'node:http'
import { createServer as netServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PROXY_NODE_FLAGS } from '../../dist/supervisor/proxy-node-flags.js'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const TRELLIS = join(REPO, 'bin/trellis.js')
export const QUICK = process.env.QUICK === '1'
export const sleep = ms => new Promise(r => setTimeout(r, ms))
export const now = () => performance.now()

export function log(...a) { process.stderr.write(`[${new Date().toISOString().slice(11, 19)} ${SCENARIO}] ${a.join(' ')}\n`) }
let SCENARIO = 'scenario'

// ---------------------------------------------------------------- processes

const started = [] // { pid, name, child }
const tmpDirs = []
let cleaning = false

// PIDs of pid and all its descendants.
export function treePids(pid) {
  const out = []
  const walk = p => {
    if (!existsSync(`/proc/${p}`)) return
    out.push(p)
    let kids = []
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        try { kids.push(...readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) } catch {}
      }
    } catch {}
    for (const k of kids) walk(k)
  }
  walk(pid)
  return out
}

function alive(pid) { try { process.kill(pid, 0); return true } catch { return false } }

// Start a process (same process group as this script, so an outer `timeout` reaches it too).
export function start(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', opts.stdout ?? 'ignore', opts.stderr ?? 'pipe'], env: { ...process.env, ...(opts.env ?? {}) }, cwd: opts.cwd ?? REPO })
  const rec = { pid: child.pid, name, child, stderr: '' }
  if (child.stderr) child.stderr.on('data', d => { rec.stderr = (rec.stderr + d).slice(-4000) })
  child.on('exit', () => { rec.exited = true })
  started.push(rec)
  return rec
}

// TERM the process and every descendant, wait up to graceMs, then KILL what is left.
export async function stop(rec, graceMs = 3000) {
  if (!rec || !rec.pid) return
  const all = treePids(rec.pid)
  for (const p of all) { try { process.kill(p, 'SIGTERM') } catch {} }
  const until = now() + graceMs
  while (now() < until && all.some(alive)) await sleep(20)
  for (const p of all) { if (alive(p)) { try { process.kill(p, 'SIGKILL') } catch {} } }
  // descendants started while we waited
  for (const p of treePids(rec.pid)) { try { process.kill(p, 'SIGKILL') } catch {} }
  const i = started.indexOf(rec)
  if (i >= 0) started.splice(i, 1)
}

function killAllSync() {
  for (const rec of started.splice(0).reverse()) {
    for (const p of treePids(rec.pid)) { try { process.kill(p, 'SIGKILL') } catch {} }
  }
  for (const d of tmpDirs.splice(0)) { try { rmSync(d, { recursive: true, force: true }) } catch {} }
}

export async function stopAll() {
  for (const rec of [...started].reverse()) await stop(rec, 2000)
  for (const d of tmpDirs.splice(0)) { try { rmSync(d, { recursive: true, force: true }) } catch {} }
}

export function tmp(prefix) { const d = mkdtempSync(join(tmpdir(), `trellis-sc-${prefix}-`)); tmpDirs.push(d); return d }

// Run main() with a hard deadline; always stop every process started; print the result JSON
// on stdout (and to OUT if set). Exit 0 on success, 1 on failure or timeout.
export function runScenario(name, limitSeconds, main) {
  SCENARIO = name
  const finish = async (code, result) => {
    if (cleaning) return
    cleaning = true
    try { await stopAll() } catch { killAllSync() }
    if (result) {
      const text = JSON.stringify(result, null, 2) + '\n'
      if (process.env.OUT) { mkdirSync(dirname(process.env.OUT), { recursive: true }); writeFileSync(process.env.OUT, text) }
      process.stdout.write(text)
    }
    process.exit(code)
  }
  const timer = setTimeout(() => { log(`deadline of ${limitSeconds}s reached, stopping`); void finish(1, { scenario: name, error: `timeout after ${limitSeconds}s` }) }, limitSeconds * 1000)
  timer.unref()
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { log(`${sig}, stopping`); void finish(130, null) })
  process.on('exit', killAllSync)
  main().then(r => finish(0, { scenario: name, quick: QUICK, date: new Date().toISOString(), loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), ...r }),
    err => { log(`failed: ${err?.stack ?? err}`); for (const s of started) if (s.stderr) log(`${s.name} stderr: ${s.stderr.slice(-800)}`); void finish(1, { scenario: name, error: String(err?.message ?? err) }) })
}

// A port that is free now, below the ephemeral range (32768+) where the OS and `port 0` binds of
// other processes pick theirs: scans from `base` upward; each call moves past the last one given.
let nextPort = 0
export async function freePort(base = 18300) {
  let p = Math.max(base, nextPort)
  for (; p < 32000; p++) {
    if (await canBind(p)) { nextPort = p + 1; return p }
  }
  return anyPort()
}
function canBind(port) {
  return new Promise(res => {
    const s = netServer()
    s.once('error', () => res(false))
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)))
  })
}
function anyPort() {
  return new Promise((res, rej) => {
    const s = netServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)) })
  })
}

// ---------------------------------------------------------------- HTTP

const agent = new Agent({ keepAlive: false })
export function httpGet(url, { headers = {}, timeoutMs = 2000 } = {}) {
  return new Promise(resolve => {
    const req = request(url, { headers, agent }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', c => { body += c })
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')))
    req.on('error', e => resolve({ status: 0, body: String(e.message) }))
    req.end()
  })
}

// Poll until url answers 200; returns ms from t0 (performance.now()).
export async function waitFor200(url, { t0 = now(), timeoutMs = 30000, everyMs = 2, rec = null } = {}) {
  const until = now() + timeoutMs
  while (now() < until) {
    const r = await httpGet(url, { timeoutMs: 1000 })
    if (r.status === 200) return now() - t0
    if (rec?.exited) throw new Error(`${rec.name} exited: ${rec.stderr.slice(-500)}`)
    await sleep(everyMs)
  }
  throw new Error(`no 200 from ${url} within ${timeoutMs} ms`)
}

// A tiny node:http backend in its own process ("200 ok"), optionally on many addresses.
export const BACKEND_JS = `
const http = require('http');
const body = Buffer.from('ok');
const handler = (req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 }); res.end(body); };
const addrs = (process.env.ADDRS || ('127.0.0.1:' + process.env.PORT)).split(',');
let n = 0;
for (const a of addrs) {
  const i = a.lastIndexOf(':');
  const s = http.createServer(handler); s.keepAliveTimeout = 120000; s.headersTimeout = 121000;
  s.listen(Number(a.slice(i + 1)), a.slice(0, i), () => { if (++n === addrs.length) console.log('listening ' + n); });
}
process.on('SIGTERM', () => process.exit(0));
`
export async function startBackend(dir, { port, addrs } = {}) {
  const file = join(dir, 'backend.cjs')
  writeFileSync(file, BACKEND_JS)
  port ??= await freePort()
  const rec = start('backend', process.execPath, [file], { env: { PORT: String(port), ADDRS: addrs ? addrs.join(',') : '' } })
  const first = addrs ? addrs[0] : `127.0.0.1:${port}`
  await waitFor200(`http://${first}/`, { rec, timeoutMs: 15000 })
  if (addrs) await waitFor200(`http://${addrs[addrs.length - 1]}/`, { rec, timeoutMs: 15000 })
  return { rec, port, url: `http://127.0.0.1:${port}` }
}

// ---------------------------------------------------------------- Trellis

export function trellisSync(args, { timeoutMs = 60000, env = {} } = {}) {
  return execFileSync(process.execPath, [TRELLIS, ...args], { cwd: REPO, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

// A control plane with an in-memory store in a fresh state folder.
export async function startControlPlane(name = 'cp') {
  const state = tmp(name)
  const port = await freePort()
  const rec = start('control-plane', process.execPath, [TRELLIS, 'control-plane', '--store', 'memory', '--state', state, '--listen', `127.0.0.1:${port}`, '--parent-pid', String(process.pid)])
  const url = `http://127.0.0.1:${port}`
  await waitFor200(`${url}/healthz`, { rec, timeoutMs: 20000, everyMs: 20 })
  const token = readFileSync(join(state, 'admin-token'), 'utf8').trim()
  return { rec, state, url, token }
}

export function apply(cp, file) {
  return trellisSync(['apply', '-f', file, '--state', cp.state, '--control-plane', cp.url])
}

export async function api(cp, path) {
  const r = await httpGet(`${cp.url}${path}`, { headers: { authorization: `Bearer ${cp.token}` }, timeoutMs: 5000 })
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`)
  return JSON.parse(r.body)
}

// The node flags `trellis up` runs proxies with, plus PROXY_NODE_FLAGS="--flag …" for experiments.
export function proxyNodeFlags() {
  return [...PROXY_NODE_FLAGS, ...(process.env.PROXY_NODE_FLAGS ?? '').split(' ').filter(Boolean)]
}

// PROXY_ENV="K=V K2=V2": extra environment for the proxies (e.g. MALLOC_ARENA_MAX), for experiments.
function proxyEnv() {
  return Object.fromEntries((process.env.PROXY_ENV ?? '').split(' ').filter(Boolean).map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
}

export function startSidecar(cp, workload, appPort, { replica = 0, upstreamPorts = {}, inboundPort, adminPort, name } = {}) {
  const args = [...proxyNodeFlags(), process.env.PROXY_ENTRY ?? TRELLIS, 'proxy', '--workload', workload, '--app-port', String(appPort), '--replica', String(replica),
    '--control-plane', cp.url, '--parent-pid', String(process.pid)]
  for (const [svc, p] of Object.entries(upstreamPorts)) args.push('--upstream-port', `${svc}=${p}`)
  if (inboundPort) args.push('--inbound-port', String(inboundPort))
  if (adminPort) args.push('--admin-port', String(adminPort))
  // PROXY_STDOUT_DIR=DIR: each proxy's stdout to DIR/WORKLOAD-REPLICA.out (V8's --trace-* flags print there).
  const stdout = process.env.PROXY_STDOUT_DIR ? openSync(join(process.env.PROXY_STDOUT_DIR, `${workload}-${replica}.out`), 'w') : undefined
  return start(name ?? `${workload}-${replica}.proxy`, process.execPath, args, { env: { TRELLIS_TOKEN: cp.token, ...proxyEnv() }, stdout })
}

// ---------------------------------------------------------------- /proc memory

export function statusKb(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'))
    return m ? Number(m[1]) : null
  } catch { return null }
}
// smaps_rollup fields in kB: Rss, Pss, Pss_Anon, Pss_File, Anonymous, Private_Clean, Private_Dirty, Shared_Clean…
export function smapsRollup(pid) {
  const out = {}
  try {
    for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
      const m = line.match(/^(\w+):\s+(\d+) kB/)
      if (m) out[m[1]] = Number(m[2])
    }
  } catch {}
  return out
}
export function memOf(pid) {
  const s = smapsRollup(pid)
  const mb = kb => kb === undefined || kb === null ? null : kb / 1024
  return {
    rss_mb: mb(statusKb(pid, 'VmRSS')), rss_anon_mb: mb(statusKb(pid, 'RssAnon')), hwm_mb: mb(statusKb(pid, 'VmHWM')),
    pss_mb: mb(s.Pss), pss_anon_mb: mb(s.Pss_Anon), pss_file_mb: mb(s.Pss_File),
    uss_mb: s.Private_Clean !== undefined ? mb(s.Private_Clean + s.Private_Dirty) : null,
  }
}
export function cpuTicks(pids) {
  let t = 0
  for (const p of pids) {
    try { const f = readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' '); t += Number(f[11]) + Number(f[12]) } catch {}
  }
  return t
}
export const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

// ---------------------------------------------------------------- load

// Fixed-rate load like peers.sh: `clients` staggered single-connection h2load --h1 processes,
// rate req/s in all, for seconds (+1 s warm-up). Returns percentiles (ms), counts and failures.
export async function h2loadRate(url, { rate = 1000, clients = 10, seconds = 5, dir, cpu = null }) {
  const per = Math.ceil(rate / clients)
  const procs = []
  for (let i = 0; i < clients; i++) {
    const logf = join(dir, `h2load.${i}.log`)
    const args = ['--h1', '-c', '1', '--rps', String(per), '-D', String(seconds), '--warm-up-time', '1', '--log-file', logf, url]
    const cmd = cpu === null ? ['timeout', ['-k', '2', String(seconds + 20), 'h2load', ...args]] : ['timeout', ['-k', '2', String(seconds + 20), 'taskset', '-c', String(cpu), 'h2load', ...args]]
    const rec = start(`h2load-${i}`, cmd[0], cmd[1], { stdout: 'pipe' })
    rec.out = ''
    rec.child.stdout.on('data', d => { rec.out += d })
    rec.logf = logf
    procs.push(rec)
    await sleep(1000 / per / clients)
  }
  await Promise.all(procs.map(p => new Promise(r => p.exited ? r() : p.child.on('exit', r))))
  const lat = []
  let bad = 0, failed = 0, errored = 0, timeouts = 0
  for (const p of procs) {
    const i = started.indexOf(p); if (i >= 0) started.splice(i, 1)
    if (existsSync(p.logf)) {
      for (const line of readFileSync(p.logf, 'utf8').split('\n')) {
        if (!line) continue
        const f = line.split('\t')
        if (f[1] !== '200') bad++
        lat.push(Number(f[2]) / 1000)
      }
    }
    const m = p.out.match(/requests: .*?(\d+) failed, (\d+) errored, (\d+) timeout/)
    if (m) { failed += Number(m[1]); errored += Number(m[2]); timeouts += Number(m[3]) }
  }
  lat.sort((a, b) => a - b)
  return { n: lat.length, achieved_rps: lat.length / seconds, p50_ms: pct(lat, 0.5), p90_ms: pct(lat, 0.9), p99_ms: pct(lat, 0.99), p999_ms: pct(lat, 0.999), max_ms: lat.at(-1) ?? null, non200: bad, failed, errored, timeouts }
}

export function wrk(url, { conns = 50, seconds = 5, cpu = null }) {
  const args = ['-k', '2', String(seconds + 15), ...(cpu === null ? [] : ['taskset', '-c', String(cpu)]), 'wrk', '-t1', `-c${conns}`, `-d${seconds}s`, '--latency', url]
  return new Promise(resolve => {
    const rec = start('wrk', 'timeout', args, { stdout: 'pipe' })
    let out = ''
    rec.child.stdout.on('data', d => { out += d })
    rec.child.on('exit', () => {
      const i = started.indexOf(rec); if (i >= 0) started.splice(i, 1)
      const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN)
      const non2xx = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0)
      resolve({ rps, non2xx, raw: out })
    })
  })
}

// ---------------------------------------------------------------- statistics

export function pct(sorted, q) {
  if (!sorted.length) return null
  let k = Math.ceil(q * sorted.length); if (k < 1) k = 1; if (k > sorted.length) k = sorted.length
  return sorted[k - 1]
}
export function median(xs) {
  const v = xs.filter(x => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}
export function round(v, d = 3) { return v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(d)) }
export function roundAll(o, d = 3) {
  if (Array.isArray(o)) return o.map(x => roundAll(x, d))
  if (o && typeof o === 'object') return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, roundAll(v, d)]))
  return typeof o === 'number' ? round(o, d) : o
}
export function writeFile(file, text) { mkdirSync(dirname(file), { recursive: true }); writeFileSync(file, text) }
