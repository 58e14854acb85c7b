// A sidecar's inbound port: one socket accepting every connection, served as HTTP (through an
// HttpListener that never listens itself) or, for a `tcp` Service, piped raw to the app. The port
// is registered before the first snapshot says which protocol the app speaks, so the choice is made
// per connection from the current mode; open connections keep the mode they started with.
import { createServer, type Server, type Socket } from 'node:net'
import type { ClientTrafficIR } from '../../ir/client-traffic.js'
import type { ServiceProtocol } from '../../ir/service.js'
import type { MtlsMode } from '../../ir/mesh.js'
import { InboundTls } from '../mtls/inbound-tls.js'
import type { MeshCertificate } from '../mtls/mesh-certificate.js'
import { peerIdentityOf } from '../mtls/peer-identity.js'
import { Authorizer } from '../authz/authorizer.js'
import type { AuthorizationIR } from '../../ir/authorization.js'
import type { RateLimiter } from '../ratelimit/rate-limiter.js'
import { singleStreamRouter, type StreamTarget } from '../build/stream-router.js'
import { HttpListener, type Router } from './http-listener.js'
import { TcpListener } from './tcp-listener.js'

export class InboundListener {
  private readonly server: Server
  readonly http: HttpListener
  readonly tcp: TcpListener
  mode: 'http' | 'tcp' = 'http'
  /** STRICT until the first snapshot says otherwise: nothing is served in plaintext by accident. */
  mtls: MtlsMode = 'STRICT'
  private readonly tls: InboundTls
  /** TCP connections closed by AuthorizationPolicy. */
  private deniedConnections = 0

  constructor(app: StreamTarget, certificate: MeshCertificate) {
    this.tls = new InboundTls(certificate, s => this.serve(s))
    this.http = new HttpListener({ name: 'inbound', proto: 'http', edge: false, stripMeshHeaders: true })
    this.tcp = new TcpListener({ name: 'inbound', sniff: false })
    this.tcp.router = singleStreamRouter(app)
    this.server = createServer({ allowHalfOpen: true }, s => this.onConnection(s))
    // The HTTP server never listens itself; 'listening' starts its connection checks (header and request timeouts).
    this.http.server.emit('listening')
  }

  set router(r: Router | null) { this.http.router = r }
  get router(): Router | null { return this.http.router }

  /** The served Services' protocol and ClientTrafficPolicy, from a snapshot. */
  configure(
    protocol: ServiceProtocol, clientTraffic: ClientTrafficIR | null, mtls: MtlsMode,
    authorization: AuthorizationIR | null = null, limiter: RateLimiter | null = null,
  ): void {
    this.mode = protocol === 'tcp' ? 'tcp' : 'http'
    this.mtls = mtls
    this.http.authorizer = authorization ? new Authorizer(authorization) : null
    this.http.limiter = limiter
    this.http.configure(clientTraffic)
    this.server.maxConnections = clientTraffic?.maxConnections ?? 10_000
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => { this.server.off('error', reject); resolve(this.port) })
    })
  }

  get port(): number { return (this.server.address() as { port: number } | null)?.port ?? 0 }

  /** Stops accepting; in-flight requests and tunnels get up to `drainMs`, then what is left is closed. */
  close(drainMs: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(() => { void this.http.close(0); void this.tcp.close(0); resolve() }, drainMs)
      timer.unref()
      this.http.draining = true
      this.http.closeIdle()
      this.server.close(() => { clearTimeout(timer); void this.http.close(0); void this.tcp.close(0); resolve() })
    })
  }

  /** Handshake counts for the admin port (and tests). */
  mtlsStats(): { mode: MtlsMode; accepted: number; rejected: number; deniedConnections: number } {
    return { mode: this.mtls, accepted: this.tls.accepted, rejected: this.tls.failures, deniedConnections: this.deniedConnections }
  }

  private onConnection(s: Socket): void {
    this.tls.accept(s, this.mtls)
  }

  /** A connection past mTLS (or plaintext where allowed), served by the current mode. */
  private serve(s: Socket): void {
    if (this.mode === 'tcp') {
      // A TCP Service: only the caller's identity can be judged (rules with `to` never match).
      const authz = this.http.authorizer
      if (authz !== null && authz.check(peerIdentityOf(s), null, null) !== null) { this.deniedConnections++; s.destroy(); return }
      this.tcp.accept(s)
    }
    else this.http.accept(s)
  }
}
