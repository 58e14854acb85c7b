// Every proxy's admin port on 127.0.0.1: /ready, /metrics (Prometheus text), /config (current snapshot).
import { createServer, type Server } from 'node:http'
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js'

export interface AdminSource {
  ready(): boolean
  config(): unknown
  readonly metrics: ProxyMetrics
}

export function startAdminServer(src: AdminSource, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/ready') {
      const ok = src.ready()
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
      return void res.end(ok ? 'ready\n' : 'not ready\n')
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      return void res.end(src.metrics.render())
    }
    if (path === '/config') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify(src.config(), null, 2))
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
