// A bound port whose connections go to whichever listener serves it now. A listener that changes
// protocol on its port (an upstream Service turning `tcp`, a Gateway port turning HTTPS) is swapped
// here while the socket stays bound, so the port never refuses a connection: new connections go
// to the new listener, and the old one, closed with the drain timeout, finishes those it has.
import { createServer, type Server, type Socket } from 'node:net'

/** A listener that serves connections accepted elsewhere. */
export interface ConnectionAcceptor {
  /** Whether its connections stay open for writing after the client's FIN (a TCP tunnel passes
   *  half-closes on), as the listener's own server would accept them. */
  readonly allowHalfOpen: boolean
  accept(socket: Socket): void
}

const DEFAULT_MAX_CONNECTIONS = 10_000

export class SwitchablePort {
  private readonly server: Server
  private acceptor: ConnectionAcceptor | null = null

  constructor() {
    this.server = createServer({ allowHalfOpen: true }, s => this.onConnection(s))
    this.server.maxConnections = DEFAULT_MAX_CONNECTIONS
  }

  /** From now on, new connections go to `acceptor`; those accepted before stay where they are. */
  serve(acceptor: ConnectionAcceptor): void { this.acceptor = acceptor }

  set maxConnections(n: number) { this.server.maxConnections = n }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => { this.server.off('error', reject); resolve(this.port) })
    })
  }

  get port(): number { return (this.server.address() as { port: number } | null)?.port ?? 0 }

  /** Stops accepting; the listeners it fed drain their own connections. */
  close(): void { if (this.server.listening) this.server.close() }

  private onConnection(s: Socket): void {
    if (this.acceptor === null) { s.destroy(); return }
    s.allowHalfOpen = this.acceptor.allowHalfOpen
    this.acceptor.accept(s)
  }
}
