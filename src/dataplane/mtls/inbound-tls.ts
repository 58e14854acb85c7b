// mTLS on a sidecar's inbound port. STRICT: every connection must complete a TLS handshake with a
// certificate from the mesh CA, else it is closed. PERMISSIVE: the first byte decides (0x16 opens a
// TLS handshake; anything else is served as plaintext, without a peer identity). DISABLE: plaintext.
// The handshake runs in a tls.Server that never listens; its certificate follows rotations.
import type { Socket } from 'node:net'
import { constants } from 'node:crypto'
import { createServer, type Server as TlsServer, type TLSSocket } from 'node:tls'
import type { MtlsMode } from '../../ir/mesh.js'
import { sniffFirstChunk } from '../listener/detect-protocol.js'
import type { MeshCertificate } from './mesh-certificate.js'
import { PEER_IDENTITY, spiffeIdOf } from './peer-identity.js'

const HANDSHAKE_TIMEOUT_MS = 10_000
const TLS_HANDSHAKE_RECORD = 0x16
// No session tickets: sidecars never resume a session (their connections are pooled and long-lived),
// and every ticket a client receives is kept with its connection: ~9 KB per connection pair.
const NO_TICKETS = constants.SSL_OP_NO_TICKET

export class InboundTls {
  private server: TlsServer | null = null
  /** Handshakes that failed (no certificate, wrong CA, not TLS in STRICT mode, timeout). */
  failures = 0
  accepted = 0

  constructor(private readonly certificate: MeshCertificate, private readonly serve: (s: Socket) => void) {
    certificate.onChange(() => this.server?.setSecureContext(this.options()))
  }

  accept(socket: Socket, mode: MtlsMode): void {
    if (mode === 'DISABLE') { this.serve(socket); return }
    socket.setNoDelay(true)                                  // small TLS records must not wait for ACKs
    if (!this.certificate.ready) { this.failures++; socket.destroy(); return }
    if (mode === 'STRICT') { this.tls().emit('connection', socket); return }
    sniffFirstChunk(socket, first => {
      socket.unshift(first)
      // The TLS server takes the socket itself (it reads what was unshifted first), so the caller's
      // address stays known; plaintext is served as it came.
      if (first[0] === TLS_HANDSHAKE_RECORD) { this.tls().emit('connection', socket); return }
      this.serve(socket)
      socket.resume()
    })
  }

  private tls(): TlsServer {
    if (this.server) return this.server
    const srv = createServer({
      ...this.options(), requestCert: true, rejectUnauthorized: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ALPNProtocols: ['h2', 'http/1.1'],
    }, (s: TLSSocket) => this.secured(s))
    srv.on('tlsClientError', (_err: Error, s: TLSSocket) => { this.failures++; s.destroy() })
    return (this.server = srv)
  }

  private options() { return { ...this.certificate.serverOptions(), secureOptions: NO_TICKETS } }

  private secured(s: TLSSocket): void {
    const identity = spiffeIdOf(s.getPeerCertificate().subjectaltname)
    if (!identity) { this.failures++; s.destroy(); return }
    this.accepted++
    ;(s as TLSSocket & { [PEER_IDENTITY]?: string })[PEER_IDENTITY] = identity
    this.serve(s as unknown as Socket)
  }
}
