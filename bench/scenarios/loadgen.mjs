// Fixed-rate HTTP/1.1 load on 127.0.0.1, open loop: RATE req/s spread evenly over time on up
// to CONNS keep-alive connections, until MAX_SECONDS or SIGTERM/SIGINT; then it waits up to 3 s
// for requests in flight and prints a JSON summary on stdout: requests, statuses, errors (by
// code), requests still unanswered, latency percentiles (ms, from each request's scheduled
// time, so stalls are not hidden), and the per-second count of failures.
//   node bench/scenarios/loadgen.mjs URL [RATE=1000] [MAX_SECONDS=300] [CONNS=16]
import { request, Agent } from 'node:http'

const [url, rateArg = '1000', maxArg = '300', connsArg = '16'] = process.argv.slice(2)
const RATE = Number(rateArg), MAX = Number(maxArg) * 1000, CONNS = Number(connsArg)
const agent = new Agent({ keepAlive: true, maxSockets: CONNS, maxFreeSockets: CONNS })
const u = new URL(url)
const lat = []
const statuses = {}
const errors = {}
const failuresBySecond = {}
let sent = 0, done = 0, stopping = false
const t0 = performance.now()

function fail(sec, key, bucket) { bucket[key] = (bucket[key] ?? 0) + 1; failuresBySecond[sec] = (failuresBySecond[sec] ?? 0) + 1 }

function fire(scheduled) {
  sent++
  const sec = Math.floor((scheduled - t0) / 1000)
  const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent }, res => {
    res.resume()
    res.on('end', () => {
      done++
      lat.push(performance.now() - scheduled)
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
      if (res.statusCode !== 200) fail(sec, `status ${res.statusCode} ${res.headers['x-trellis-reason'] ?? ''}`.trim(), errors)
    })
    res.on('error', e => { done++; fail(sec, `response ${e.code ?? e.message}`, errors) })
  })
  req.setTimeout(10000, () => req.destroy(new Error('timeout')))
  req.on('error', e => { done++; fail(sec, e.code ?? e.message, errors) })
  req.end()
}

const timer = setInterval(() => {
  const elapsed = performance.now() - t0
  if (elapsed >= MAX) { void finish(); return }
  const due = Math.floor(elapsed * RATE / 1000)
  while (sent < due && !stopping) fire(t0 + sent * 1000 / RATE)
}, 1)

async function finish() {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  const elapsed = (performance.now() - t0) / 1000
  const until = performance.now() + 3000
  while (done < sent && performance.now() < until) await new Promise(r => setTimeout(r, 20))
  lat.sort((a, b) => a - b)
  const q = p => lat.length ? lat[Math.min(lat.length - 1, Math.max(0, Math.ceil(p * lat.length) - 1))] : null
  const failed = Object.values(errors).reduce((a, b) => a + b, 0) + (sent - done)
  process.stdout.write(JSON.stringify({ url, rate: RATE, seconds: elapsed, sent, answered: done, unanswered: sent - done, failed,
    achieved_rps: done / elapsed, statuses, errors, failures_by_second: failuresBySecond,
    p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), p999_ms: q(0.999), max_ms: lat.at(-1) ?? null }) + '\n')
  process.exit(0)
}
process.on('SIGTERM', () => void finish())
process.on('SIGINT', () => void finish())
