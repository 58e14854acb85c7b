// Tables for `trellis stat`.
import { terminalSafe } from './terminal-text.js'

interface Signals { requests: number; rps: number; successRate: number | null; latencyMs: { p50: number; p95: number; p99: number } | null }
type Overview = { windowMs: number; items: (Signals & { service: string })[] }
type Detail = {
  windowMs: number; service: Signals & { service: string; source: string }
  routes: (Signals & { route: string })[]; callers: (Signals & { caller: string | null })[]; instances: (Signals & { instance: string })[]
}

const SIGNALS = ['RPS', 'SUCCESS', 'P50', 'P95', 'P99', 'REQUESTS']

export function renderStats(body: Overview | Detail): string {
  if ('items' in body) return table(['SERVICE', ...SIGNALS], body.items.map(s => [short(s.service), ...cells(s)]))
  const s = body.service
  const out = [
    `${short(s.service)}: ${cells(s).slice(0, 5).map((c, i) => `${SIGNALS[i].toLowerCase()} ${c}`).join(', ')}, ${s.requests} requests in ${seconds(body.windowMs)} (seen by ${s.source === 'inbound' ? 'its sidecars' : 'its callers'})`,
    '',
    table(['ROUTE', ...SIGNALS], body.routes.map(r => [short(r.route), ...cells(r)])),
    table(['CALLER', ...SIGNALS], body.callers.map(c => [c.caller === null ? '(plaintext)' : terminalSafe(c.caller), ...cells(c)])),
  ]
  if (s.source === 'inbound') out.push(table(['INSTANCE', ...SIGNALS], body.instances.map(i => [short(i.instance), ...cells(i)])))
  return out.join('\n')
}

function cells(s: Signals): string[] {
  const ms = (v: number | undefined) => (v === undefined ? '-' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)}ms`)
  return [
    s.rps < 10 ? s.rps.toFixed(2) : s.rps.toFixed(1),
    s.successRate === null ? '-' : `${(s.successRate * 100).toFixed(2)}%`,
    ms(s.latencyMs?.p50), ms(s.latencyMs?.p95), ms(s.latencyMs?.p99), String(s.requests),
  ]
}

function table(head: readonly string[], rows: readonly string[][]): string {
  if (rows.length === 0) return `${head[0]}  (none in the window)\n`
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (cells: readonly string[]) => cells.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd()
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}

function seconds(ms: number): string { return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` }

function short(name: string): string { return terminalSafe(name.startsWith('default/') ? name.slice('default/'.length) : name) }
