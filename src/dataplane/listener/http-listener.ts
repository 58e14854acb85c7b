// An HTTP/1.1 listener whose route table can be swapped atomically: requests in flight keep the
// table they started with. Protocol errors from the parser (ambiguous framing, oversized headers)
// are answered here, never forwarded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { ProxyError, respondError } from '../errors.js'
import { Exchange } from '../exchange.js'
import { clientAddress, forwardRequestHeaders, type ForwardContext } from './forward-headers.js'
import { normalizePath } from './normalize-path.js'

export interface RequestHandler { handle(x: Exchange): void }
export interface Router { match(host: string, path: string, query: string | null, method: string, headers: IncomingMessage['headers']): RequestHandler | null }

export interface HttpListenerOptions {
  readonly name: string
  readonly proto: 'http' | 'https'
  readonly edge: boolean                 // a Gateway listener: client-sent forwarding headers are not trusted
  readonly stripMeshHeaders: boolean
  readonly maxHeaderBytes?: number
  readonly headersTimeoutMs?: number
  readonly idleTimeoutMs?: number
}

const PATH_RULES = { allowEncodedSlashes: false, allowBackslashes: false, allowSemicolons: false }

export class HttpListener {
  readonly server: Server
  router: Router | null = null
  private readonly sockets = new Set<Socket>()
  private readonly opts: HttpListenerOptions
  draining = false

  constructor(opts: HttpListenerOptions) {
    this.opts = opts
    this.server = createServer({
      maxHeaderSize: opts.maxHeaderBytes ?? 61440,
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      requestTimeout: 0,
      keepAliveTimeout: opts.idleTimeoutMs ?? 60_000,
    }, (req, res) => this.onRequest(req, res))
    this.server.on('connection', (s: Socket) => {
      s.setNoDelay(true)
      this.sockets.add(s)
      s.once('close', () => this.sockets.delete(s))
    })
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(err, socket))
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve((this.server.address() as { port: number }).port)
      })
    })
  }

  get port(): number { return (this.server.address() as { port: number } | null)?.port ?? 0 }

  /** Stops accepting, lets in-flight requests finish for up to `drainMs`, then closes what is left. */
  close(drainMs: number): Promise<void> {
    this.draining = true
    return new Promise(resolve => {
      const timer = setTimeout(() => { this.server.closeAllConnections(); resolve() }, drainMs)
      timer.unref()
      this.server.close(() => { clearTimeout(timer); resolve() })
      this.server.closeIdleConnections()
    })
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.draining) res.shouldKeepAlive = false
    const router = this.router
    const start = performance.now()
    const url = req.url ?? '/'
    const norm = normalizePath(url, PATH_RULES)
    if ('error' in norm) { respondError(res, new ProxyError('bad_request', norm.error)); req.resume(); return }
    const ctx: ForwardContext = {
      clientAddress: clientAddress(req.socket.remoteAddress), proto: this.opts.proto,
      edge: this.opts.edge, stripMeshHeaders: this.opts.stripMeshHeaders,
    }
    const x = new Exchange(req, res, norm.path, norm.query, forwardRequestHeaders(req.headers, ctx), start)
    if (!router) { respondError(res, new ProxyError('unavailable', 'no configuration yet')); req.resume(); return }
    const route = router.match(hostOf(req), x.path, x.query, req.method ?? 'GET', req.headers)
    if (!route) { respondError(res, new ProxyError('no_route', `no route for ${req.method} ${x.path}`)); req.resume(); return }
    route.handle(x)
  }
}

function hostOf(req: IncomingMessage): string {
  const h = req.headers.host
  return h ?? ''
}

function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err.code === 'ECONNRESET')) { socket.destroy(); return }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW'
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
  const status = tooLarge ? 431 : timeout ? 408 : 400
  const reason = tooLarge ? 'too_large' : timeout ? 'timeout' : 'bad_request'
  const text = tooLarge ? 'Request Header Fields Too Large' : timeout ? 'Request Timeout' : 'Bad Request'
  const body = `${reason}: ${err.code ?? 'malformed request'}\n`
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nx-trellis-reason: ${reason}\r\nconnection: close\r\n\r\n${body}`)
}
