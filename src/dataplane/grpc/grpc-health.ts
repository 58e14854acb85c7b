// The standard gRPC health protocol (grpc.health.v1.Health/Check), as a probe: SERVING passes,
// anything else — NOT_SERVING, an error status, no answer within the timeout — fails.
import { http2 } from '../../lib/lazy-http2.js'
import { dial, type MeshPeer } from '../mtls/dial.js'
import { HEALTH_CHECK_USER_AGENT } from '../upstream/health-check-request.js'

// HealthCheckRequest{service: ""} is an empty message: a 5-byte frame header with length 0.
const EMPTY_REQUEST = Buffer.alloc(5)
const SERVING = 1

export function probeGrpcHealth(host: string, port: number, timeoutMs: number, peer: MeshPeer | null = null): Promise<boolean> {
  return new Promise(resolve => {
    let settled = false
    const session = http2().connect(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, peer ? { createConnection: () => dial(host, port, peer, 'h2') } : {})
    const done = (ok: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      session.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    session.on('error', () => done(false))
    const stream = session.request({
      ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers',
      'user-agent': HEALTH_CHECK_USER_AGENT,
    })
    const chunks: Buffer[] = []
    let status: string | undefined
    stream.on('response', h => { status = h['grpc-status'] as string | undefined })
    stream.on('trailers', t => { status = (t['grpc-status'] as string | undefined) ?? status })
    stream.on('data', (c: Buffer) => { if (chunks.length < 16) chunks.push(c) })
    stream.on('end', () => done(status === '0' && servingStatus(Buffer.concat(chunks)) === SERVING))
    stream.on('error', () => done(false))
    stream.end(EMPTY_REQUEST)
  })
}

/** The `status` field (1, varint) of a framed HealthCheckResponse; -1 when absent or malformed. */
export function servingStatus(framed: Buffer): number {
  if (framed.length < 5 || framed[0] !== 0) return -1
  const len = framed.readUInt32BE(1)
  const msg = framed.subarray(5, 5 + len)
  if (msg.length !== len) return -1
  let i = 0
  while (i < msg.length) {
    const key = msg[i++]
    if (key === 0x08) return i < msg.length && msg[i] < 0x80 ? msg[i] : -1 // field 1, varint (small enum)
    const wire = key & 7
    if (wire === 0) { while (i < msg.length && msg[i++] & 0x80); continue }
    if (wire === 2) { const l = msg[i++]; i += l; continue }
    return -1
  }
  return 0 // proto3: an absent enum field is its zero value, UNKNOWN
}
