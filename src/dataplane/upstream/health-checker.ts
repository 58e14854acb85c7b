// Active health checks run by a calling proxy against every endpoint of a Service: an HTTP GET of
// `path` (2xx passes) or, without a path, a TCP connect. `unhealthyThreshold` failures in a row take
// the endpoint out of rotation; `healthyThreshold` passes in a row bring it back.
import { request } from 'node:http'
import { dial, readyEvent, type MeshPeer } from '../mtls/dial.js'
import type { HealthCheckIR } from '../../ir/index.js'
import type { Endpoint } from './endpoint.js'
import { probeGrpcHealth } from '../grpc/grpc-health.js'
import { HEALTH_CHECK_USER_AGENT } from './health-check-request.js'

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
    let timer: NodeJS.Timeout | null = null
    const done = (ok: boolean) => { if (!settled) { settled = true; if (timer !== null) clearTimeout(timer); resolve(ok) } }
    if (cfg.path === null) {
      const s = dial(ep.host, ep.port, peer, null)
      timer = setTimeout(() => { s.destroy(); done(false) }, cfg.timeoutMs)   // covers a slow TLS handshake too
      timer.unref()
      s.once(readyEvent(peer), () => { s.destroy(); done(true) })
      s.once('error', () => done(false))
      return
    }
    // No `agent` option: Node ignores `createConnection` when one is given (even `false`), and a mesh
    // endpoint would then get plaintext on its mTLS port. A connection of its own per check either way.
    const req = request({ host: ep.host, port: ep.port, path: cfg.path, method: 'GET',
      createConnection: () => dial(ep.host, ep.port, peer, 'http/1.1'),
      headers: { 'user-agent': HEALTH_CHECK_USER_AGENT, connection: 'close' } }, res => {
      // The status decides; the body is not read, so a huge or endless one costs nothing.
      done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300)
      req.destroy()
    })
    // A deadline for the whole check, not an idle timeout: a target trickling its headers a byte
    // at a time must fail the check rather than hold it (and every later check) forever.
    timer = setTimeout(() => { req.destroy(); done(false) }, cfg.timeoutMs)
    timer.unref()
    req.on('error', () => done(false))
    req.end()
  })
}
