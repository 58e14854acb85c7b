// The observability side of the admin API: golden signals (`trellis stat`, the dashboard) and live
// request summaries (`trellis tap`).
//   GET /api/v1/stats[?window=30s]          every Service
//   GET /api/v1/stats/SERVICE[?window=30s]  one Service, by route, caller and instance
//   GET /api/v1/tap/SERVICE[?max=N&duration=D&rate=R]  NDJSON stream of summaries
//   GET /api/v1/tap?gateway=NAME[&max=…]               every request one Gateway serves
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseDuration } from '../../config/duration.js'
import type { ServiceIR } from '../../ir/index.js'
import type { ControlPlane } from '../control-plane.js'
import { HttpError, sendJson } from '../http-util.js'
import { MAX_WINDOW_MS } from '../stats/stats-store.js'
import { serviceDetail, statsOverview } from '../stats/stats-query.js'

const DEFAULT_WINDOW_MS = 30_000
const DEFAULT_TAP_RATE = 100
const MAX_TAP_RATE = 10_000

/** Answers the request when it is one of these endpoints; false otherwise. */
export function handleObserveApi(cp: ControlPlane, req: IncomingMessage, res: ServerResponse, url: URL, what: string): boolean {
  const slash = what.indexOf('/')
  const group = slash < 0 ? what : what.slice(0, slash)
  if (group !== 'stats' && group !== 'tap') return false
  // The Service as `name` or `namespace/name` (its slash escaped or not).
  const name = slash < 0 ? '' : decodeName(what.slice(slash + 1))
  if (req.method !== 'GET') throw new HttpError(405, 'method not allowed')
  if (group === 'stats') {
    const windowMs = windowOf(url)
    const now = Date.now()
    // A window reaching back before the control plane started covers only what it has seen.
    const covered = Math.max(1000, Math.min(windowMs, now - cp.stats.startedAt))
    const samples = cp.stats.after(now - windowMs)
    const ir = cp.config.ir
    sendJson(res, 200, name ? serviceDetail(ir, serviceNamed(cp, name), samples, covered) : statsOverview(ir, samples, covered))
    return true
  }
  const gateway = url.searchParams.get('gateway')
  if (!name && gateway === null) throw new HttpError(400, 'name the Service to tap, /api/v1/tap/SERVICE, or the Gateway, /api/v1/tap?gateway=NAME')
  if (name && gateway !== null) throw new HttpError(400, 'tap a Service or a Gateway, not both')
  const target = gateway !== null
    ? { kind: 'gateway' as const, name: gatewayNamed(cp, gateway) }
    : { kind: 'service' as const, name: serviceNamed(cp, name).name }
  const max = count(url.searchParams.get('max'), 'max', 0)
  const rate = Math.min(count(url.searchParams.get('rate'), 'rate', DEFAULT_TAP_RATE), MAX_TAP_RATE) || DEFAULT_TAP_RATE
  const d = url.searchParams.get('duration')
  const durationMs = d === null ? 0 : parseDuration(d)
  if (durationMs === null) throw new HttpError(400, `duration "${d}" is not a duration; use a string such as "30s" or "5m"`)
  if (!cp.taps.open({ target, max, durationMs, rate }, res)) throw new HttpError(429, 'too many taps running; stop one first')
  return true
}

function decodeName(raw: string): string {
  try { return decodeURIComponent(raw) } catch { throw new HttpError(400, `"${raw}" is not a valid name`) }
}

function windowOf(url: URL): number {
  const w = url.searchParams.get('window')
  if (w === null) return DEFAULT_WINDOW_MS
  const ms = parseDuration(w)
  if (ms === null || ms < 1000 || ms > MAX_WINDOW_MS) {
    throw new HttpError(400, `window "${w}" must be a duration from 1s to ${MAX_WINDOW_MS / 60_000}m, such as "30s" or "5m"`)
  }
  return ms
}

function serviceNamed(cp: ControlPlane, name: string): ServiceIR {
  const q = name.includes('/') ? name : `default/${name}`
  const svc = cp.config.ir.services.find(s => s.name === q)
  if (!svc) throw new HttpError(404, `Service "${name}" not found; known: ${cp.config.ir.services.map(s => s.name).join(', ') || 'none'}`)
  return svc
}

function gatewayNamed(cp: ControlPlane, name: string): string {
  const q = name.includes('/') ? name : `default/${name}`
  const gateways = cp.config.ir.gateways
  if (!gateways.some(g => g.name === q)) throw new HttpError(404, `Gateway "${name}" not found; known: ${gateways.map(g => g.name).join(', ') || 'none'}`)
  return q
}

function count(v: string | null, what: string, dflt: number): number {
  if (v === null) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `${what} must be a whole number, got "${v}"`)
  return n
}
