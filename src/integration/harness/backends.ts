// Test backends on 127.0.0.1:0 that say who they are, optionally slowly.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Backend {
  readonly name: string
  readonly port: number
  readonly server: Server
  hits: number
  delayMs: number
  /** Status of every answer (default 200); `/healthz` answers `healthStatus`. */
  status: number
  healthStatus: number
  closed: boolean
  /** Answers fully sent. */
  responded: number
  /** Body bytes of the last request. */
  lastBodyBytes: number
  close(): Promise<void>
}

export async function startBackend(name: string, opts: { delayMs?: number; port?: number } = {}): Promise<Backend> {
  const backend: Backend = {
    name, port: 0, server: null as unknown as Server, hits: 0, delayMs: opts.delayMs ?? 0, status: 200, healthStatus: 200, closed: false, responded: 0, lastBodyBytes: 0,
    close: () => new Promise<void>(resolve => {
      if (backend.closed) return resolve()
      backend.closed = true
      backend.server.close(() => resolve()); backend.server.closeAllConnections() }),
  }
  const server = createServer((req, res) => {
    if (req.url === '/healthz') { res.writeHead(backend.healthStatus); res.end(); return }
    backend.hits++
    let size = 0
    req.on('data', (c: Buffer) => { size += c.length })
    req.on('end', () => {
      const reply = () => {
        const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, bodyBytes: size })
        res.writeHead(backend.status, { 'content-type': 'application/json', 'x-backend': name })
        backend.lastBodyBytes = size
        res.end(body, () => { backend.responded++ })
      }
      if (backend.delayMs > 0) setTimeout(reply, backend.delayMs)
      else reply()
    })
  })
  await new Promise<void>(resolve => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()))
  Object.assign(backend, { server, port: (server.address() as AddressInfo).port })
  return backend
}
