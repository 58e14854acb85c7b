// Active health checks run by a calling proxy against every endpoint of a Service: an HTTP GET of
// `path` (2xx passes) or, without a path, a TCP connect. `unhealthyThreshold` failures in a row take
// the endpoint out of rotation; `healthyThreshold` passes in a row bring it back.
import { request } from 'node:http'
import { dial, readyEvent, type MeshPeer } from '../mtls/dial.js'
import type { HealthCheckIR } from '../../ir/index.js'
import type { Endpoint } from './endpoint.js'
import { probeGrpcHealth } from '../grpc/grpc-health.js'

export class HealthChecker {
  private timers = new Map<Endpoint, NodeJS.Timeout>()
  private stopped = false

  constructor(public cfg: HealthCheckIR, private readonly onChange: () => void, public protocol: string = 'http') {}

  /** Starts checking endpoints not yet checked; stops checking those gone. */
  track(endpoints: readonly Endpoint[]): void {
    const keep = new Set(endpoints)
    for (const [ep, t] of this.timers) if (!keep.has(ep)) { clearTimeout(t); this.timers.delete(ep) }
    for (const ep of endpoints) if (!this.timers.has(ep)) this.schedule(ep, Math.random() * Math.min(this.cfg.intervalMs, 1000))
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private schedule(ep: Endpoint, delay: number): void {
    if (this.stopped) return
    const t = setTimeout(() => this.check(ep), delay)
    t.unref()
    this.timers.set(ep, t)
  }

  private check(ep: Endpoint): void {
    if (!this.timers.has(ep)) return
    probe(ep, this.cfg, this.protocol).then(ok => {
      if (!this.timers.has(ep)) return
      if (ok) { ep.checkFails = 0; ep.checkPasses++ } else { ep.checkPasses = 0; ep.checkFails++ }
      if (ep.healthy && ep.checkFails >= this.cfg.unhealthyThreshold) { ep.healthy = false; this.onChange() }
      else if (!ep.healthy && ep.checkPasses >= this.cfg.healthyThreshold) { ep.healthy = true; this.onChange() }
      this.schedule(ep, this.cfg.intervalMs)
    })
  }
}

/** One check: gRPC health for grpc Services, else an HTTP GET of `path`, else a TCP connect. */
export function probe(ep: { host: string; port: number; peer?: MeshPeer | null }, cfg: HealthCheckIR, protocol: string = 'http'): Promise<boolean> {
  const peer = ep.peer ?? null
  if (protocol === 'grpc') return probeGrpcHealth(ep.host, ep.port, cfg.timeoutMs, peer)
  return new Promise(resolve => {
    let settled = false
    const done = (ok: boolean) => { if (!settled) { settled = true; resolve(ok) } }
    if (cfg.path === null) {
      const s = dial(ep.host, ep.port, peer, null)
      s.setTimeout(cfg.timeoutMs, () => { s.destroy(); done(false) })
      s.once(readyEvent(peer), () => { s.destroy(); done(true) })
      s.once('error', () => done(false))
      return
    }
    const req = request({ host: ep.host, port: ep.port, path: cfg.path, method: 'GET', agent: false, timeout: cfg.timeoutMs,
      createConnection: peer ? () => dial(ep.host, ep.port, peer, 'http/1.1') : undefined,
      headers: { 'user-agent': 'trellis-health-check', connection: 'close' } }, res => {
      res.resume()
      done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300)
    })
    req.on('timeout', () => { req.destroy(); done(false) })
    req.on('error', () => done(false))
    req.end()
  })
}
