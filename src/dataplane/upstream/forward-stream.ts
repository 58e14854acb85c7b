// Joins a client connection to an endpoint of a Service byte for byte (a TCPRoute, TLS passthrough
// or terminated at a Gateway, a sidecar's listener for a `tcp` Service), with the Service's
// resilience, as Envoy's TCP proxy does: the tunnel holds one connection slot of its circuit breaker
// from the connect until it closes (none free: the client is closed at once, counted as a
// rejection, not logged); the endpoint comes from the balancer, which never offers an ejected one; a refused,
// reset or timed-out connect counts against its endpoint for outlier detection and is retried on
// another (tcp-connect.ts), and one that succeeds counts as a success.
// The slot is released exactly once, however the tunnel ends (see `release`).
import type { Socket } from 'node:net'
import { pipeSockets } from '../listener/pipe-sockets.js'
import type { CircuitBreaker } from '../resilience/circuit-breaker.js'
import type { Cluster } from './cluster.js'
import { connectCluster, TUNNEL_CONNECT } from './tcp-connect.js'

/** `head`: bytes already read from the (paused) client, such as a sniffed ClientHello; `log` hears
 *  why a connection was closed without a tunnel. */
export function forwardStream(cluster: Cluster, client: Socket, head: Buffer | null, idleMs: number, log: (line: string) => void): void {
  const breaker = cluster.breaker
  // Over the limit: closed and counted (trellis_circuit_breaker_rejections_total), not logged, so a
  // flood of connections cannot flood the log too.
  if (breaker !== null && !breaker.acquireConnection()) { client.destroy(); return }
  // The breaker that counted this tunnel: a config update may give the cluster another one.
  let held: CircuitBreaker | null = breaker
  const release = () => { if (held !== null) { const b = held; held = null; b.release() } }
  connectCluster(cluster, TUNNEL_CONNECT, (err, upstream, ep) => {
    if (err !== null || upstream === null || ep === null) {
      release()
      log(`${cluster.service}: ${err?.message ?? 'no connection'}`)
      client.destroy()
      return
    }
    cluster.record(ep, true)
    if (client.destroyed) { release(); upstream.destroy(); return }      // the client left while it connected
    void pipeSockets(client, upstream, idleMs, head).closed.then(release)
    client.resume()
  })
}
