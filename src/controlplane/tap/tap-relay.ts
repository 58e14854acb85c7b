// `trellis tap` on the control plane: a tap session per client stream. Starting one tells the
// proxies involved (tap-targets.ts) over their config streams; the sidecars serving the Service
// post their summaries in batches, and so do its callers for the requests they answer themselves
// (a tap of a Gateway: that Gateway, for every request it serves); the relay writes them to the
// client as NDJSON, with the proxy's name, instance and identity added. Bounded at every step: a rate cap per session, events
// dropped (and counted) while the client reads slowly, a cap on sessions. The session ends on
// --max, --duration, or the client leaving, and then every proxy is told to stop.
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { MeshIR, QualifiedName } from '../../ir/index.js'
import type { ProxyRecord, Registry } from '../registry.js'
import { tapRole, type TapTarget } from './tap-targets.js'

export interface TapOptions {
  readonly target: TapTarget
  /** Stop after this many summaries (0: no limit). */
  readonly max: number
  /** Stop after this long (0: no limit). */
  readonly durationMs: number
  /** Summaries per second, at most (per session, and per proxy). */
  readonly rate: number
}

/** Where the relay sends tap starts and stops: a proxy's config stream. */
export interface ProxyMessenger { message(proxyId: string, msg: object): boolean }

const MAX_SESSIONS = 32
/** Bytes the client may have unread before summaries are dropped. */
const MAX_UNREAD = 256 * 1024

class TapSession {
  /** The proxies told of this session, by id, and whether each sends summaries. */
  readonly proxies = new Map<string, { readonly proxy: ProxyRecord; readonly events: boolean }>()
  sent = 0
  dropped = 0
  timer: NodeJS.Timeout | null = null
  private tokens: number
  private at = Date.now()

  constructor(readonly id: string, readonly opts: TapOptions, readonly res: ServerResponse) { this.tokens = opts.rate }

  /** Writes one line unless the rate cap or a slow reader says no. */
  write(line: object): boolean {
    const now = Date.now()
    this.tokens = Math.min(this.opts.rate, this.tokens + ((now - this.at) * this.opts.rate) / 1000)
    this.at = now
    if (this.tokens < 1 || this.res.writableLength > MAX_UNREAD) { this.dropped++; return false }
    this.tokens--
    this.res.write(JSON.stringify(line) + '\n')
    this.sent++
    return true
  }
}

export class TapRelay {
  private readonly sessions = new Map<string, TapSession>()

  constructor(private readonly registry: Registry, private readonly proxies: ProxyMessenger, private readonly ir: () => MeshIR) {}

  get active(): number { return this.sessions.size }

  /** Starts a session streaming to `res`; false when too many run already. */
  open(opts: TapOptions, res: ServerResponse): boolean {
    if (this.sessions.size >= MAX_SESSIONS) return false
    const session = new TapSession(randomBytes(8).toString('hex'), opts, res)
    this.sessions.set(session.id, session)
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
    for (const p of this.registry.list()) if (p.connected) this.join(session, p)
    const sending = [...session.proxies.values()].filter(p => p.events).map(p => p.proxy.name)
    res.write(JSON.stringify({ type: 'start', [opts.target.kind]: opts.target.name, proxies: sending }) + '\n')
    res.once('close', () => this.end(session, 'closed'))
    if (opts.durationMs > 0) {
      session.timer = setTimeout(() => this.end(session, 'duration'), opts.durationMs)
      session.timer.unref()
    }
    return true
  }

  /** A proxy (re)connected its stream: it joins the sessions it belongs to. */
  proxyAttached(p: ProxyRecord): void {
    for (const s of this.sessions.values()) this.join(s, p)
  }

  /** A batch posted by a proxy; false when its session is over (the proxy then stops). */
  receive(p: ProxyRecord, tapId: string, body: unknown): boolean {
    const session = this.sessions.get(tapId)
    if (!session || !session.proxies.has(p.id)) return false
    const b = (body ?? {}) as { events?: unknown; dropped?: unknown }
    if (typeof b.dropped === 'number' && b.dropped > 0 && Number.isFinite(b.dropped)) session.dropped += b.dropped
    const events = Array.isArray(b.events) ? b.events.slice(0, 1000) : []
    for (const e of events) {
      const line = session.opts.target.kind === 'gateway' ? servedAtGateway(e, p) : summary(e, p, session.opts.target.name)
      if (!line) continue
      session.write(line)
      if (session.opts.max > 0 && session.sent >= session.opts.max) { this.end(session, 'max'); break }
    }
    return true
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) this.end(s, 'control plane stopping')
  }

  private join(session: TapSession, p: ProxyRecord): void {
    const role = tapRole(this.ir(), p, session.opts.target)
    if (!role) return
    const service = session.opts.target.kind === 'service' ? session.opts.target.name : undefined
    const msg = { type: 'tap', id: session.id, events: role.events, tag: role.tag, answers: role.answers, service, rate: session.opts.rate }
    if (this.proxies.message(p.id, msg)) {
      session.proxies.set(p.id, { proxy: p, events: role.events })
    }
  }

  private end(session: TapSession, reason: string): void {
    if (this.sessions.get(session.id) !== session) return
    this.sessions.delete(session.id)
    if (session.timer) clearTimeout(session.timer)
    for (const id of session.proxies.keys()) this.proxies.message(id, { type: 'untap', id: session.id })
    if (!session.res.destroyed) {
      session.res.end(JSON.stringify({ type: 'end', reason, requests: session.sent, dropped: session.dropped }) + '\n')
    }
  }
}

/**
 * A proxy's event, checked (it comes from the network), with where it was seen. A request a caller
 * answered itself reached no instance: its destination is the Service alone, its source the caller.
 */
function summary(e: unknown, p: ProxyRecord, service: QualifiedName): object | null {
  const o = checked(e)
  if (o === null) return null
  const atCaller = o.event.atCaller === true
  return {
    ...o.common,
    source: { identity: atCaller ? p.identity : str(o.event.source, 512), address: str(o.event.sourceAddress, 128) },
    destination: { service, instance: atCaller ? null : p.name, identity: atCaller ? null : p.identity },
    route: str(o.event.route, 256),
    proxy: p.name,
  }
}

/** A Gateway's summary of a request it served: from a client outside the mesh, to the Service of
 *  the backend it picked (null: it answered before picking one). */
function servedAtGateway(e: unknown, p: ProxyRecord): object | null {
  const o = checked(e)
  if (o === null) return null
  return {
    ...o.common,
    source: { identity: null, address: str(o.event.sourceAddress, 128) },
    destination: { service: str(o.event.service, 512), instance: null, identity: null },
    route: str(o.event.route, 256),
    proxy: p.name,
  }
}

function checked(e: unknown): { event: Record<string, unknown>; common: object } | null {
  if (!e || typeof e !== 'object') return null
  const o = e as Record<string, unknown>
  const time = num(o.time), status = num(o.status), latencyMs = num(o.latencyMs)
  if (time === null || status === null || latencyMs === null) return null
  return {
    event: o,
    common: { type: 'request', time: new Date(time).toISOString(), method: str(o.method, 32) ?? '', path: str(o.path) ?? '', status, latencyMs, reason: str(o.reason, 32) },
  }
}

function str(v: unknown, max = 2048): string | null { return typeof v === 'string' ? v.slice(0, max) : null }
function num(v: unknown): number | null { return typeof v === 'number' && Number.isFinite(v) ? v : null }
