// A TCP listener: each connection is routed by a swappable StreamRouter (plain TCP: one route;
// TLS passthrough: by the SNI name of the ClientHello, read here without terminating TLS), then
// joined to an endpoint of the chosen cluster byte for byte, through the Service's circuit breaker
// and outlier detection (forward-stream.ts). Sniffing is bounded in bytes (MAX_SNIFF_BYTES), work
// (each byte read once: client-hello-reader.ts) and time; garbage, an unknown name, no endpoint or
// a full circuit breaker closes the connection.
import { createServer, type Server, type Socket } from 'node:net'
import type { StreamRouter } from '../build/stream-router.js'
import { forwardStream } from '../upstream/forward-stream.js'
import { ClientHelloReader } from './client-hello-reader.js'

export interface TcpListenerOptions {
  readonly name: string
  readonly sniff: boolean                  // TLS passthrough: route by SNI
  readonly sniffTimeoutMs?: number         // default 5 s
  readonly idleTimeoutMs?: number          // default 1 h; 0 = none
  readonly maxConnections?: number         // default 10000
  readonly log?: (line: string) => void
}

export class TcpListener {
  readonly server: Server
  router: StreamRouter | null = null
  /** Set when the listener's AuthorizationPolicies refuse its callers (a Gateway's stream listeners,
   *  whose callers are all `anonymous`): every new connection is closed. */
  refuseAll = false
  /** A TLS port that listeners with different hostnames share: whether the listener a connection's
   *  SNI name selects refuses it. Null (one listener), or a name no listener claims: `refuseAll`. */
  refusesByName: ((serverName: string | null) => boolean | null) | null = null
  /** Connections it is handed (accept()) pass half-closes on, as its own server's do. */
  readonly allowHalfOpen = true
  private readonly sockets = new Set<Socket>()
  private readonly idleMs: number
  private readonly sniffMs: number
  private readonly log: (line: string) => void
  /** `log` with the listener's name first, for forwardStream. */
  private readonly streamLog: (line: string) => void

  constructor(private readonly opts: TcpListenerOptions) {
    this.idleMs = opts.idleTimeoutMs ?? 3_600_000
    this.sniffMs = opts.sniffTimeoutMs ?? 5000
    const log = opts.log ?? (() => {})
    this.log = log
    this.streamLog = line => log(`${opts.name}: ${line}`)
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, s => this.onConnection(s))
    this.server.maxConnections = opts.maxConnections ?? 10_000
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve(this.port)
      })
    })
  }

  get port(): number { return (this.server.address() as { port: number } | null)?.port ?? 0 }
  get connections(): number { return this.sockets.size }

  /** Stops accepting; open tunnels get up to `drainMs` to finish, then are cut. The tunnels are
   *  watched here, not through the server: connections handed over by accept()/acceptNamed() (a
   *  sidecar's inbound port, a TLS-terminating front) are not the server's own. */
  close(drainMs: number): Promise<void> {
    if (this.server.listening) this.server.close()
    return new Promise(resolve => {
      if (this.sockets.size === 0) { resolve(); return }
      const done = () => { clearTimeout(cut); clearInterval(poll); resolve() }
      const cut = setTimeout(() => { for (const s of this.sockets) s.destroy(); done() }, drainMs)
      const poll = setInterval(() => { if (this.sockets.size === 0) done() }, 50)
      cut.unref(); poll.unref()
    })
  }

  /** Serves a connection accepted elsewhere (a sidecar's inbound port). */
  accept(client: Socket): void { this.onConnection(client) }

  /** Serves a connection whose TLS ended in front of this listener, routed by its SNI name. */
  acceptNamed(client: Socket, serverName: string | null): void {
    this.sockets.add(client)
    client.once('close', () => this.sockets.delete(client))
    client.on('error', () => client.destroy())
    this.dispatch(client, serverName, null)
  }

  private onConnection(client: Socket): void {
    this.sockets.add(client)
    client.once('close', () => this.sockets.delete(client))
    client.on('error', () => client.destroy())
    client.setNoDelay(true)
    if (!this.opts.sniff) { this.dispatch(client, null, null); return }
    this.sniff(client)
  }

  private sniff(client: Socket): void {
    const hello = new ClientHelloReader()
    const timer = setTimeout(() => stop('no ClientHello in time'), this.sniffMs)
    const stop = (why: string) => {
      clearTimeout(timer)
      client.off('data', onData)
      this.log(`${this.opts.name}: closing connection: ${why}`)
      client.destroy()
    }
    const onData = (chunk: Buffer) => {
      const r = hello.push(chunk)
      if (r.kind === 'more') return
      clearTimeout(timer)
      client.off('data', onData)
      if (r.kind === 'invalid') { stop(r.why); return }
      client.pause()
      this.dispatch(client, r.serverName, hello.bytes)
    }
    client.on('data', onData)
    client.resume()
  }

  private dispatch(client: Socket, serverName: string | null, head: Buffer | null): void {
    if (this.refusesByName === null ? this.refuseAll : this.refusesByName(serverName) ?? this.refuseAll) { this.log(`${this.opts.name}: connection denied by AuthorizationPolicy`); client.destroy(); return }
    const target = this.router?.route(serverName) ?? null
    if (!target || !target.cluster) {
      this.log(`${this.opts.name}: no route for ${serverName ?? 'connection'}`)
      client.destroy()
      return
    }
    forwardStream(target.cluster, client, head, this.idleMs, this.streamLog)
  }
}
