// A Gateway TLS listener in Terminate mode: TLS ends here with the listener's certificate (chosen
// by SNI, reloaded when its files change) and the decrypted byte stream is routed by the SNI name,
// like passthrough, to a plain TCP backend.
import { createServer, type Server, type TLSSocket } from 'node:tls'
import type { Socket } from 'node:net'
import type { CertificateStore } from '../dataplane/listener/tls-certificates.js'

const HANDSHAKE_TIMEOUT_MS = 10_000

export class TlsTerminator {
  readonly server: Server
  private certs: CertificateStore

  constructor(certs: CertificateStore, serve: (socket: Socket, serverName: string | null) => void) {
    this.certs = certs
    const opts = certs.serverOptions()
    this.server = createServer({
      cert: opts.cert, key: opts.key, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, allowHalfOpen: true,
      SNICallback: (name, cb) => cb(null, this.certs.contextFor(name)),
    }, (s: TLSSocket) => serve(s as unknown as Socket, typeof s.servername === 'string' ? s.servername.toLowerCase() : null))
    this.server.on('tlsClientError', (_err: Error, s: TLSSocket) => s.destroy())
    this.watchDefault()
  }

  /** A connection accepted elsewhere (the port's SwitchablePort): its handshake, then `serve`. */
  accept(socket: Socket): void { this.server.emit('connection', socket) }

  /** New certificates (a new snapshot): new handshakes use them; open connections keep theirs. */
  use(certs: CertificateStore): void {
    this.certs = certs
    this.watchDefault()
  }

  private watchDefault(): void {
    const o = this.certs.serverOptions()
    this.server.setSecureContext({ cert: o.cert, key: o.key })
    this.certs.onDefaultChange = (cert, key) => this.server.setSecureContext({ cert, key })
  }
}
