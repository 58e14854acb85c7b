// Sends one request to an endpoint and streams the response back, with bodies piped (never
// buffered) and back-pressure respected. A connect failure on a request without a body is retried
// on another endpoint: nothing reached the app, so it is always safe.
import { request, type ClientRequest, type IncomingMessage } from 'node:http'
import { ProxyError, respondError } from '../errors.js'
import type { Exchange } from '../exchange.js'
import { forwardResponseHeaders } from '../listener/forward-headers.js'
import { monotonicNowMs } from '../balance/endpoint-stats.js'
import type { Cluster } from './cluster.js'
import type { Endpoint } from './endpoint.js'

export interface ForwardOptions {
  readonly timeoutMs: number             // whole request, 0 = none
  readonly attemptTimeoutMs: number      // one try, 0 = none
  readonly connectRetries: number        // extra tries after a connect failure
  readonly hashKey: string | null
}

export type Done = (status: number) => void

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT'])

export function forward(x: Exchange, cluster: Cluster, opts: ForwardOptions, done: Done): void {
  const first = cluster.pick(opts.hashKey, null)
  if (!first) { fail(x, new ProxyError('unavailable', `no healthy endpoint for ${cluster.service}`), done); return }
  const bodyless = hasNoBody(x)
  let timer: NodeJS.Timeout | null = null
  let upstream: ClientRequest | null = null
  let finished = false
  const finish = (status: number) => {
    if (finished) return
    finished = true
    if (timer) clearTimeout(timer)
    done(status)
  }
  if (opts.timeoutMs > 0) {
    timer = setTimeout(() => {
      upstream?.destroy()
      fail(x, new ProxyError('timeout', `no response within ${opts.timeoutMs}ms`), finish)
    }, opts.timeoutMs)
  }
  x.res.once('close', () => { if (!x.res.writableFinished) upstream?.destroy() })

  const attempt = (ep: Endpoint, left: number) => {
    const started = monotonicNowMs()
    ep.stats.onStart(started)
    let ended = false
    const end = (ok: boolean) => {
      if (ended) return
      ended = true
      const now = monotonicNowMs()
      ep.stats.onEnd(now, now - started, ok)
    }
    const up = request({
      host: ep.host, port: ep.port, method: x.req.method, path: x.target, headers: x.headers, agent: ep.agent,
    })
    upstream = up
    if (opts.attemptTimeoutMs > 0) {
      up.setTimeout(opts.attemptTimeoutMs, () => {
        up.destroy()
        end(false)
        fail(x, new ProxyError('timeout', `${cluster.service} did not answer within ${opts.attemptTimeoutMs}ms`), finish)
      })
    }
    up.on('response', (upRes: IncomingMessage) => {
      const status = upRes.statusCode ?? 502
      if (finished) { upRes.resume(); end(status < 500); return }
      const headers = forwardResponseHeaders(upRes.headers)
      if (x.responseHeaders) x.responseHeaders(headers)
      x.res.writeHead(status, headers)
      upRes.pipe(x.res)
      upRes.on('end', () => { end(status < 500); finish(status) })
      upRes.on('error', () => { end(false); x.res.destroy(); finish(status) })
    })
    up.on('error', (err: NodeJS.ErrnoException) => {
      end(false)
      if (finished) return
      if (!x.res.headersSent && left > 0 && bodyless && CONNECT_ERRORS.has(err.code ?? '')) {
        const next = cluster.pick(opts.hashKey, ep)
        if (next) { attempt(next, left - 1); return }
      }
      const reason = err.code === 'ECONNREFUSED' ? 'unavailable' : 'upstream_reset'
      fail(x, new ProxyError(reason, `${cluster.service}: ${err.code ?? err.message}`, reason === 'unavailable' ? 503 : 502, { cause: err }), finish)
    })
    if (bodyless) up.end()
    else x.req.pipe(up)
  }
  attempt(first, opts.connectRetries)
}

function hasNoBody(x: Exchange): boolean {
  const h = x.req.headers
  return h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0')
}

export function fail(x: Exchange, err: ProxyError, done: Done): void {
  respondError(x.res, err)
  done(err.status)
}
