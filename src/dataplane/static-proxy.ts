// A proxy with no control plane: one HTTP listener forwarding everything to one upstream, built
// from the same parts as a sidecar's outbound listener (HttpListener, buildRouter over a one-entry
// route table, a ClusterSet, ProxyMetrics) so that benchmarks measure the real request path.
import type { Server } from 'node:http'
import type { RouteTableIR } from '../ir/index.js'
import { DEFAULT_TRAFFIC_POLICY } from '../ir/index.js'
import type { ClusterIR } from '../snapshot/types.js'
import { ProxyMetrics } from '../telemetry/proxy-metrics.js'
import { startAdminServer } from './admin-server.js'
import { buildRouter } from './build/build-router.js'
import { HttpListener } from './listener/http-listener.js'
import { ClusterSet } from './upstream/cluster-set.js'

export interface StaticProxyOptions {
  readonly listenHost: string
  readonly listenPort: number            // 0 = a free port
  readonly upstream: string              // http://HOST:PORT
  readonly adminPort?: number | null     // 0 or undefined = a free port; null = no admin server
  readonly adminHost?: string
}

export interface UpstreamAddress { readonly host: string; readonly port: number; readonly address: string }

const SERVICE = 'static/upstream'
const LISTENER = 'outbound|static/upstream'

/** `http://HOST:PORT` → the endpoint address; anything else (https, a path, a query) is refused. */
export function parseUpstream(text: string): UpstreamAddress {
  let url: URL
  try { url = new URL(text) } catch { throw new Error(`--upstream expects http://HOST:PORT, got "${text}"`) }
  if (url.protocol !== 'http:') throw new Error(`--upstream: only http:// upstreams are supported, got "${text}"`)
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new Error(`--upstream expects http://HOST:PORT without path, query or credentials, got "${text}"`)
  }
  const port = url.port ? Number(url.port) : 80
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port, address: `${url.hostname}:${port}` }
}

/** `HOST:PORT`, `[V6]:PORT` or `PORT` (127.0.0.1) → host and port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text)
  const port = m ? Number(m[3]) : NaN
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen expects HOST:PORT (e.g. 127.0.0.1:8080), got "${text}"`)
  }
  return { host: m[1] || m[2] || '127.0.0.1', port }
}

export class StaticProxy {
  readonly metrics = new ProxyMetrics()
  readonly upstream: UpstreamAddress
  private readonly clusters = new ClusterSet()
  private readonly listener = new HttpListener({ name: LISTENER, proto: 'http', edge: false, stripMeshHeaders: false })
  private admin: Server | null = null

  constructor(private readonly opts: StaticProxyOptions) {
    this.upstream = parseUpstream(opts.upstream)
    const cluster: ClusterIR = {
      service: SERVICE, protocol: 'http', port: this.upstream.port, policy: DEFAULT_TRAFFIC_POLICY, healthCheck: null,
      endpoints: [{ address: this.upstream.address, instance: null, labels: {}, mesh: false, identity: null }],
    }
    this.clusters.update([cluster])
    this.listener.router = buildRouter(singleRouteTable(SERVICE), {
      listener: LISTENER, clusters: this.clusters.byService, metrics: this.metrics, scheme: 'http', port: opts.listenPort,
    })
  }

  get port(): number { return this.listener.port }
  get adminPort(): number { return (this.admin?.address() as { port: number } | null)?.port ?? 0 }

  async start(): Promise<void> {
    await this.listener.listen(this.opts.listenPort, this.opts.listenHost)
    if (this.opts.adminPort === null) return
    try {
      this.admin = await startAdminServer({
        metrics: this.metrics,
        ready: () => true,
        config: () => ({ mode: 'static', listen: `${this.opts.listenHost}:${this.port}`, upstream: this.opts.upstream }),
      }, this.opts.adminPort ?? 0, this.opts.adminHost ?? '127.0.0.1')
    } catch (err) {
      await this.listener.close(0)
      throw err
    }
  }

  async stop(drainMs = 0): Promise<void> {
    const admin = this.admin
    this.admin = null
    if (admin) { admin.close(); admin.closeAllConnections() }
    await this.listener.close(drainMs)
    this.clusters.close()
  }
}

function singleRouteTable(service: string): RouteTableIR {
  return { hosts: [{ hostname: '*', entries: [{
    route: 'static', rule: 0, match: 0, path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [],
    filters: [], backends: [{ service, weight: 1, filters: [] }], timeouts: { requestMs: null, backendRequestMs: 0 }, retry: null, fault: null,
  }] }] }
}
