// `trellis tap`: reads the control plane's NDJSON stream and prints one line per request.
// The stream's first line says which sidecars take part, its last why it ended (both on stderr).
import { request } from 'undici'
import { findControlPlane } from '../controlplane/admin-client.js'
import type { TapCliOptions } from './tap.js'
import { terminalSafe } from './terminal-text.js'

export interface TapLine {
  type: string
  time?: string; method?: string; path?: string; status?: number; latencyMs?: number; route?: string | null
  /** A request: the x-trellis-reason of an answer the mesh made (null: the app answered). The end: why it ended. */
  reason?: string | null
  source?: { identity: string | null; address: string | null }
  /** `instance` and `identity` are null for a request its caller answered before any instance; at a
   *  tapped Gateway, `service` is null when it picked no backend. */
  destination?: { service: string | null; instance: string | null; identity: string | null }
  proxy?: string
  service?: string; gateway?: string; proxies?: string[]; requests?: number; dropped?: number; error?: string
}

export async function runTap(service: string | undefined, opts: TapCliOptions): Promise<number> {
  const target = findControlPlane(opts)
  const q = new URLSearchParams()
  if (opts.max !== undefined) q.set('max', opts.max)
  if (opts.duration !== undefined) q.set('duration', opts.duration)
  if (opts.rate !== undefined) q.set('rate', opts.rate)
  if (opts.gateway !== undefined) q.set('gateway', opts.gateway)
  const path = service === undefined ? '/api/v1/tap' : `/api/v1/tap/${encodeURIComponent(service)}`
  const abort = new AbortController()
  const stop = () => abort.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const res = await request(new URL(`${path}?${q}`, target.url), {
      headers: { authorization: `Bearer ${target.token}` }, signal: abort.signal, headersTimeout: 30_000, bodyTimeout: 0,
    })
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      let msg = `control plane answered ${res.statusCode}`
      try { msg = (JSON.parse(text) as TapLine).error ?? msg } catch { /* not JSON */ }
      throw new Error(msg)
    }
    let buf = ''
    const atGateway = opts.gateway !== undefined
    for await (const chunk of res.body) {
      buf += (chunk as Buffer).toString('utf8')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line) show(JSON.parse(line) as TapLine, opts.output === 'json', atGateway)
      }
    }
    return 0
  } catch (err) {
    if (abort.signal.aborted) return 0      // Ctrl-C: the tap ends with the connection
    throw err
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

function show(l: TapLine, json: boolean, atGateway: boolean): void {
  if (l.type === 'start') {
    const n = l.proxies?.length ?? 0
    const proxies = terminalSafe(l.proxies?.join(', ') ?? '')
    if (l.gateway !== undefined) process.stderr.write(`tapping gateway ${terminalSafe(l.gateway)}: ${n === 0 ? 'its proxy is not connected yet' : proxies}\n`)
    else process.stderr.write(`tapping ${terminalSafe(String(l.service))}: ${n === 0 ? 'no sidecar serves it yet' : `${n} sidecar${n === 1 ? '' : 's'} (${proxies})`}\n`)
  } else if (l.type === 'end') {
    process.stderr.write(`tap ended (${terminalSafe(String(l.reason))}): ${l.requests} requests${l.dropped ? `, ${l.dropped} dropped` : ''}\n`)
  } else if (l.type === 'request') {
    process.stdout.write(json ? JSON.stringify(l) + '\n' : formatTapRequest(l, atGateway))
  }
}

/** One request as a table line. Every field may carry what a client or an app sent (a caller's
 *  route name, a path), so the line is made safe for the terminal as a whole. */
export function formatTapRequest(l: TapLine, atGateway: boolean): string {
  const d = l.destination
  const fields = atGateway
    ? [
        l.time, l.method || '-', l.path || '-', l.status, `${l.latencyMs}ms`, `src=${l.source?.address ?? '?'}`, `dst=${d?.service ?? '-'}`,
        `route=${l.route ?? '-'}`, ...(l.reason ? [`reason=${l.reason}`] : []),
      ]
    : [
        l.time, l.method || '-', l.path || '-', l.status, `${l.latencyMs}ms`,
        `src=${l.source?.identity ?? `(plaintext ${l.source?.address ?? '?'})`}`,
        d?.instance ? `dst=${d.instance} (${d.identity})` : `dst=${d?.service} (answered by ${l.proxy})`,
        `route=${l.route ?? '-'}`, ...(l.reason ? [`reason=${l.reason}`] : []),
      ]
  return terminalSafe(fields.join('  ')) + '\n'
}
