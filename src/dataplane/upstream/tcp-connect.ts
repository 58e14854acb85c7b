// Opens a TCP connection to one endpoint of a cluster, picked by its balancer; a connect failure
// (refused, reset, timed out) is retried on another endpoint, up to `retries` times. The endpoint's
// stats see the connection as one request: started at connect, ended when the connection closes,
// with the connect time as its latency (what least-request and EWMA compare). With
// `recordConnectFailures` each failed connect also counts against its endpoint for outlier detection.
import type { Socket } from 'node:net'
import { readyEvent } from '../mtls/dial.js'
import type { Cluster } from './cluster.js'
import type { Endpoint } from './endpoint.js'
import { nowMs } from '../../lib/monotonic-clock.js'

export interface TcpConnectOptions {
  readonly hashKey: string | null
  readonly retries: number
  readonly connectTimeoutMs: number
  readonly recordConnectFailures: boolean
}

export type TcpConnected = (err: Error | null, socket: Socket | null, endpoint: Endpoint | null) => void

export const DEFAULT_TCP_CONNECT: TcpConnectOptions = { hashKey: null, retries: 2, connectTimeoutMs: 5000, recordConnectFailures: false }
/** Tunnels to a Service (WebSocket upgrades, TCP connections): connect failures count for outlier detection. */
export const TUNNEL_CONNECT: TcpConnectOptions = { ...DEFAULT_TCP_CONNECT, recordConnectFailures: true }

export function connectCluster(cluster: Cluster, opts: TcpConnectOptions, done: TcpConnected): void {
  const first = cluster.pick(opts.hashKey, null)
  if (!first) { done(new Error(`no healthy endpoint for ${cluster.service}`), null, null); return }
  attempt(cluster, first, opts.retries, opts, done)
}

function attempt(cluster: Cluster, ep: Endpoint, left: number, opts: TcpConnectOptions, done: TcpConnected): void {
  const started = nowMs()
  ep.stats.onStart(started)
  let connectedAt = -1, ended = false
  const end = (ok: boolean) => {
    if (ended) return
    ended = true
    const now = nowMs()
    ep.stats.onEnd(now, (connectedAt < 0 ? now : connectedAt) - started, ok)
  }
  const socket = ep.dial(null, true)
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), opts.connectTimeoutMs)
  const onError = (err: Error) => {
    clearTimeout(timer)
    end(false)
    if (opts.recordConnectFailures) cluster.record(ep, false)
    const next = left > 0 ? cluster.pick(opts.hashKey, ep) : null
    if (next) attempt(cluster, next, left - 1, opts, done)
    else done(err, null, null)
  }
  socket.once('error', onError)
  socket.once(readyEvent(ep.peer), () => {
    clearTimeout(timer)
    connectedAt = nowMs()
    socket.off('error', onError)
    socket.once('close', hadError => end(!hadError))
    done(null, socket, ep)
  })
}
