// A proxy's link to the control plane: register, receive versioned snapshots over one long-lived
// NDJSON stream, ack or nack each, report status. When the control plane is away the proxy keeps
// serving its last good config and reconnects with capped, jittered backoff. It joins with its join
// token and makes every later call with the credential the control plane hands it then.
import { request, type IncomingMessage, type ClientRequest } from 'node:http'
import type { Snapshot } from '../snapshot/types.js'
import { backoffDelayMs, jitteredPeriodMs } from '../lib/backoff.js'
import type { MeshCertificate } from './mtls/mesh-certificate.js'
import type { IssuedCertificate } from '../identity/issued-certificate.js'
import type { StatsBatch } from '../telemetry/series-delta.js'
import { ControlPlaneCredential } from './control-plane-credential.js'

export interface Registration {
  readonly kind: 'sidecar' | 'gateway'
  readonly workload?: string
  readonly replica?: number
  readonly gateway?: string
  readonly pid: number
  readonly adminAddress: string
  readonly inboundAddress?: string
  readonly incarnation?: string
}

export interface ConfigClientOptions {
  readonly controlPlane: string           // http://host:port
  /** The join token: used to register until the control plane hands this proxy its own credential. */
  readonly token: string
  readonly registration: () => Registration
  /** Applies a snapshot; throws (or rejects) to nack it. */
  readonly apply: (snapshot: Snapshot, version: number) => Promise<void>
  readonly appReady: () => boolean
  /** Extra state for the control plane's views (ejections, health, circuits). */
  readonly observe?: () => unknown
  readonly log: (line: string) => void
  /** The proxy's mesh identity: its public key goes with the registration, the issued certificate
   *  is installed, and renewed half-way through its life. */
  readonly certificate?: MeshCertificate
  /** Traffic counts since the last report, sent with each status report (`trellis stat`). */
  readonly stats?: () => StatsBatch
  /** Messages on the stream other than config (`tap`, `untap`). */
  readonly onControl?: (message: ControlMessage) => void
  /** The stream ended: whatever it started (taps) ends with it. */
  readonly onDisconnect?: () => void
}

/** A message from the control plane that is not config: start or stop a tap. */
export interface ControlMessage { readonly type: string; readonly [field: string]: unknown }

/** How long the snapshot stream may stay silent before the proxy reconnects (pings come every 5 s). */
const STREAM_SILENCE_MS = 15_000
/** Status reports come every heartbeat ±20 %: well inside the instance TTL (5 heartbeats by default). */
const HEARTBEAT_SPREAD = 0.2

export class ConfigClient {
  private id: string | null = null
  private acked = 0
  private nack: { version: number; reason: string } | null = null
  private stream: ClientRequest | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private stopped = false
  private failures = 0
  private applying: Promise<void> = Promise.resolve()
  private rejected: Snapshot | null = null
  private renewal: NodeJS.Timeout | null = null
  private readonly credential: ControlPlaneCredential
  identity = ''
  connected = false

  constructor(private readonly opts: ConfigClientOptions) {
    this.credential = new ControlPlaneCredential(opts.token, opts.log)
  }

  get ackedVersion(): number { return this.acked }
  /** This proxy's registration id while registered. */
  get proxyId(): string | null { return this.id }

  start(): void { void this.connect() }

  stop(): void {
    this.stopped = true
    if (this.heartbeat) clearTimeout(this.heartbeat)
    if (this.renewal) clearTimeout(this.renewal)
    this.stream?.destroy()
  }

  /** Sends status now (used when app readiness changes). */
  reportNow(): void { void this.report() }

  private async connect(): Promise<void> {
    if (this.stopped) return
    try {
      const cert = this.opts.certificate
      // The version acked last goes along, so a restarted control plane continues above it.
      const registration = { ...this.opts.registration(), ackedVersion: this.acked }
      const body = cert ? { ...registration, publicKey: cert.publicKeyPem } : registration
      const reg = await this.post('/api/v1/proxies', body) as { id: string; identity: string; heartbeatMs: number; certificate?: IssuedCertificate }
      this.credential.take(reg)
      if (this.stopped) return                    // stopped while registering: open nothing
      this.id = reg.id
      this.identity = reg.identity
      if (cert && reg.certificate) this.install(reg.certificate)
      this.openStream(reg.id)
      this.scheduleHeartbeat(reg.heartbeatMs)
    } catch (err) {
      const status = (err as { status?: number }).status
      if (status === 401 || status === 403 || status === 404) {
        this.opts.log(`registration refused by the control plane: ${(err as Error).message}`)
        this.failures = Math.max(this.failures, 6) // keep trying, slowly: the config or token may be fixed
      }
      this.retry(`register: ${(err as Error).message}`)
    }
  }

  /** Status reports every `periodMs` on average, jittered so that proxies do not report in step. */
  private scheduleHeartbeat(periodMs: number): void {
    if (this.heartbeat) clearTimeout(this.heartbeat)
    if (this.stopped) return
    this.heartbeat = setTimeout(() => { this.scheduleHeartbeat(periodMs); void this.report() }, jitteredPeriodMs(periodMs, HEARTBEAT_SPREAD, Math.random()))
    this.heartbeat.unref()
  }

  private install(issued: IssuedCertificate): void {
    const cert = this.opts.certificate!
    try { cert.install(issued) } catch (err) { this.opts.log(`certificate from the control plane rejected: ${(err as Error).message}`) }
    this.scheduleRenewal(cert.renewInMs(Date.now()))
  }

  /** Renews at half-life; on failure retries sooner, and a re-registration renews too. */
  private scheduleRenewal(delayMs: number): void {
    if (this.renewal) clearTimeout(this.renewal)
    this.renewal = setTimeout(() => void this.renew(), delayMs)
    this.renewal.unref()
  }

  private async renew(): Promise<void> {
    const cert = this.opts.certificate!
    if (this.stopped) return
    try {
      if (!this.id) throw new Error('not registered')
      const issued = await this.post(`/api/v1/proxies/${this.id}/certificate`, { publicKey: cert.publicKeyPem }) as IssuedCertificate
      this.install(issued)
    } catch (err) {
      const left = cert.notAfter - Date.now()
      this.opts.log(`certificate renewal failed (${(err as Error).message}); ${left > 0 ? `current one valid ${Math.round(left / 1000)} s more` : 'current one expired'}`)
      this.scheduleRenewal(Math.max(1000, Math.min(5000, left / 4)))
    }
  }

  private retry(why: string): void {
    this.connected = false
    this.stream = null
    this.opts.onDisconnect?.()
    if (this.stopped) return
    const delay = backoffDelayMs(this.failures++, 100, 5000, Math.random())
    if (this.failures <= 1 || this.failures % 10 === 0) this.opts.log(`control plane unreachable (${why}); serving last config, retrying`)
    setTimeout(() => void this.connect(), Math.max(50, delay)).unref()
  }

  private openStream(id: string): void {
    const url = new URL(`/api/v1/proxies/${id}/stream`, this.opts.controlPlane)
    const sent = this.credential.authorization()
    const req = request(url, { headers: { authorization: sent } })
    this.stream = req
    // The control plane writes at least a ping every 5 s: silence means a half-open connection.
    req.setTimeout(STREAM_SILENCE_MS, () => req.destroy(new Error('no data from the control plane')))
    let done = false
    const end = (why: string) => { if (!done) { done = true; this.retry(why) } }
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume()
        if (res.statusCode === 401) this.credential.refused(sent, 'stream answered 401')
        end(`stream answered ${res.statusCode}`)
        return
      }
      this.connected = true
      this.failures = 0
      res.setEncoding('utf8')
      let buf = ''
      res.on('data', (chunk: string) => {
        buf += chunk
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          if (line) this.onMessage(line)
        }
      })
      res.on('end', () => end('stream ended'))
      res.on('error', err => end(err.message))
    })
    req.on('error', err => end(err.message))
    req.end()
  }

  private onMessage(line: string): void {
    let msg: { type: string; version?: number; snapshot?: Snapshot }
    try { msg = JSON.parse(line) } catch { this.opts.log('control plane sent a malformed line; ignored'); return }
    const version = msg.version ?? 0
    if (msg.type === 'version') {
      // Same content as the last snapshot: if that one was rejected, try it again (a port may be free now).
      this.applying = this.applying.then(async () => {
        const retry = this.rejected             // as of this message's turn, not its arrival
        if (retry) await this.applySnapshot({ ...retry, version } as Snapshot, version)
        else { this.acked = Math.max(this.acked, version); await this.report() }
      })
    } else if (msg.type === 'snapshot' && msg.snapshot) {
      const snap = { ...msg.snapshot, version } as Snapshot
      this.applying = this.applying.then(() => this.applySnapshot(snap, version))
    } else if (msg.type !== 'ping') {
      this.opts.onControl?.(msg as ControlMessage)
    }
  }

  private async applySnapshot(snap: Snapshot, version: number): Promise<void> {
    if (this.stopped) return              // the proxy is stopping: its listeners are closing
    try {
      await this.opts.apply(snap, version)
      this.acked = version
      this.nack = null
      this.rejected = null
    } catch (err) {
      this.nack = { version, reason: (err as Error).message }
      this.rejected = snap
      this.opts.log(`rejected config version ${version}: ${(err as Error).message}; keeping version ${this.acked}`)
    }
    await this.report()
  }

  private async report(): Promise<void> {
    const id = this.id
    if (!id || this.stopped) return
    const stats = this.opts.stats?.() ?? null
    try {
      const answer = await this.post(`/api/v1/proxies/${id}/status`, {
        appReady: this.opts.appReady(), ackedVersion: this.acked, nack: this.nack, observed: this.opts.observe?.() ?? null,
        ...(stats && stats.deltas.length > 0 ? { stats: stats.deltas } : {}),
      })
      this.credential.take(answer)               // renewed before it runs out
    } catch (err) {
      stats?.undo()                            // the next report carries these counts
      // Forgotten: register again. A late answer about an earlier registration leaves the current one be.
      if ((err as { status?: number }).status === 404 && this.id === id) this.stream?.destroy()
    }
  }

  /** POSTs JSON to the control plane with this proxy's credential (else its join token); rejects on
   *  a non-2xx answer. */
  post(path: string, body: unknown): Promise<unknown> {
    const url = new URL(path, this.opts.controlPlane)
    const text = JSON.stringify(body)
    const sent = this.credential.authorization()
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { authorization: sent, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        timeout: 5000,
      }, res => {
        let data = ''
        res.setEncoding('utf8')
        res.on('data', c => { data += c })
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) {
            const err = new Error(`${res.statusCode}: ${data.slice(0, 200)}`) as Error & { status?: number }
            err.status = res.statusCode
            if (res.statusCode === 401) this.credential.refused(sent, err.message)
            return reject(err)
          }
          try { resolve(data ? JSON.parse(data) : {}) } catch (e) { reject(e) }
        })
      })
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', reject)
      req.end(text)
    })
  }
}
