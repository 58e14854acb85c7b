// RequestMirror: a fire-and-forget copy of a share of requests to another Service. The copy never
// slows or fails the main request: its response is discarded, its errors ignored, and if it cannot
// keep up with the request body it is abandoned rather than applying back-pressure. Copies still
// open to a Service are bounded (its circuit breaker's maxRequests, else MAX_MIRRORS_IN_FLIGHT):
// past that a slow or stalled mirror gets no more copies, so it cannot pile up sockets and buffers.
import { request } from 'node:http'
import type { RequestMirrorIR } from '../../ir/index.js'
import { requestHasBody, type BodyTap, type Exchange } from '../exchange.js'
import type { Cluster } from '../upstream/cluster.js'

export type Mirror = (x: Exchange) => void

const MIRROR_BUFFER = 256 * 1024
/** Copies open at once to a Service without a circuit breaker (its maxRequests default). */
export const MAX_MIRRORS_IN_FLIGHT = 1024

export function requestMirror(cfg: RequestMirrorIR, clusters: ReadonlyMap<string, Cluster>, random: () => number = Math.random): Mirror | null {
  if (!cfg.service || cfg.percent <= 0) return null
  const cluster = clusters.get(cfg.service)
  if (!cluster) return null
  const percent = cfg.percent
  return x => {
    if (percent < 100 && random() * 100 >= percent) return
    if (cluster.mirrorsInFlight >= (cluster.breaker?.maxRequests ?? MAX_MIRRORS_IN_FLIGHT)) { cluster.mirrorsSkipped++; return }
    const ep = cluster.pick(null, null)
    if (!ep) return
    const headers = { ...x.headers }
    const host = headers.host
    if (typeof host === 'string') headers.host = host.endsWith('-shadow') ? host : `${host}-shadow`
    const copy = request({ host: ep.host, port: ep.port, method: x.req.method, path: x.target, headers, agent: ep.agent, timeout: 30_000 })
    copy.on('response', res => res.resume())
    copy.on('error', () => {})
    copy.on('timeout', () => copy.destroy())
    cluster.mirrorsInFlight++
    copy.once('close', () => { cluster.mirrorsInFlight-- })
    if (!requestHasBody(x.req)) { copy.end(); return }
    // Tee the body without ever pausing the main request: a copy that falls behind is abandoned.
    const tap: BodyTap = {
      data: chunk => {
        if (copy.destroyed) return
        if (copy.writableLength > MIRROR_BUFFER) { copy.destroy(); return }
        copy.write(chunk)
      },
      end: () => { if (!copy.destroyed) copy.end() },
      abort: () => copy.destroy(),
    }
    if (x.bodyTaps) x.bodyTaps.push(tap)
    else x.bodyTaps = [tap]
  }
}
