// A proxy built from the sidecar's parts (HttpListener, buildRouter, ClusterSet) with one route whose
// timeouts, retry, fault and filters, and one Service whose TrafficPolicy, a test chooses; in front of real
// upstreams on 127.0.0.1. For resilience tests that need more than the static proxy's defaults.
import type { AddressInfo, Server } from 'node:net'
import { DEFAULT_CLIENT_TRAFFIC, DEFAULT_TRAFFIC_POLICY, type FilterIR, type RetryIR, type RouteTableIR, type TrafficPolicyIR, type FaultInjectionIR } from '../../ir/index.js'
import type { ClientTrafficIR } from '../../ir/client-traffic.js'
import type { ClusterIR } from '../../snapshot/types.js'
import { ProxyMetrics } from '../../telemetry/proxy-metrics.js'
import { buildRouter } from '../build/build-router.js'
import { HttpListener } from '../listener/http-listener.js'
import type { TlsServerOptions } from '../listener/tls-certificates.js'
import { ClusterSet } from './cluster-set.js'

export const SERVICE = 'default/up'
const LISTENER = 'outbound|default/up'

export interface RouteOptions {
  readonly requestMs?: number | null     // absent: null, the Service policy's timeout applies
  readonly backendRequestMs?: number
  readonly retry?: RetryIR | null
  readonly fault?: FaultInjectionIR | null
  readonly filters?: readonly FilterIR[]
}

export class ResilienceProxy {
  readonly clusters = new ClusterSet()
  private readonly listener: HttpListener

  /** With `tls`, the listener terminates TLS (h2 and http/1.1 by ALPN); without, it is plain (HTTP/1.1 and h2c). */
  constructor(readonly ports: number[], readonly policy: Partial<TrafficPolicyIR> = {}, readonly route: RouteOptions = {},
      readonly protocol: ClusterIR['protocol'] = 'http', tls: TlsServerOptions | null = null) {
    this.listener = tls === null
      ? new HttpListener({ name: LISTENER, proto: 'http', edge: false, stripMeshHeaders: false })
      : new HttpListener({ name: LISTENER, proto: 'https', edge: false, stripMeshHeaders: false, tls })
    this.clusters.update([this.cluster(ports, policy)])
    this.listener.router = buildRouter(routeTable(route), {
      listener: LISTENER, clusters: this.clusters.byService, metrics: new ProxyMetrics(), scheme: 'http', port: 0,
    })
  }

  cluster(ports: number[], policy: Partial<TrafficPolicyIR>): ClusterIR {
    return {
      service: SERVICE, protocol: this.protocol, port: 80, policy: { ...DEFAULT_TRAFFIC_POLICY, ...policy }, healthCheck: null,
      endpoints: ports.map(p => ({ address: `127.0.0.1:${p}`, instance: null, labels: {}, mesh: false, identity: null })),
    }
  }

  /** Applies a ClientTrafficPolicy to the listener, as a config update does. */
  clientTraffic(ct: ClientTrafficIR): void { this.listener.configure(ct) }

  /** Applies a new policy to the Service, as a config update does. */
  update(policy: Partial<TrafficPolicyIR>): void { this.clusters.update([this.cluster(this.ports, policy)]) }

  /** The listener's idle timeout (ClientTrafficPolicy timeouts.idle), which also bounds a WebSocket tunnel. */
  idleTimeout(ms: number): this { this.listener.configure({ ...DEFAULT_CLIENT_TRAFFIC, idleTimeoutMs: ms }); return this }

  get port(): number { return this.listener.port }
  get upstream() { return this.clusters.byService.get(SERVICE)! }

  async start(): Promise<this> { await this.listener.listen(0, '127.0.0.1'); return this }

  async stop(): Promise<void> {
    await this.listener.close(0)
    this.clusters.close()
  }
}

function routeTable(r: RouteOptions): RouteTableIR {
  return { hosts: [{ hostname: '*', entries: [{
    route: 'default/test', rule: 0, match: 0, path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [],
    filters: r.filters ?? [], backends: [{ service: SERVICE, weight: 1, filters: [] }],
    timeouts: { requestMs: r.requestMs ?? null, backendRequestMs: r.backendRequestMs ?? 0 }, retry: r.retry ?? null, fault: r.fault ?? null,
  }] }] }
}

/** Listens on 127.0.0.1:0 and returns the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A route retry as the compiler makes it (connect failures and resets, plus `codes`). */
export function routeRetry(attempts: number, codes: number[], backoffMs: number, perTryTimeoutMs = 0): RetryIR {
  return {
    attempts, perTryTimeoutMs, retryOn: ['connect-failure', 'reset', ...codes.map(String)],
    backoffBaseMs: backoffMs, backoffMaxMs: backoffMs * 10, budgetPercent: 20, budgetMinRetriesPerSecond: 10,
  }
}
