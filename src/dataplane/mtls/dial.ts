// Outgoing connections to an endpoint: plain TCP for endpoints outside the mesh (and when the Mesh
// disables mTLS), else TLS with this proxy's certificate, verifying the server's chain against the
// mesh roots and its SPIFFE ID against the instance we meant to reach.
import { connect as netConnect, Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import type { MeshCertificate } from './mesh-certificate.js'
import { checkPeerIdentity } from './peer-identity.js'

export interface MeshPeer {
  readonly certificate: MeshCertificate
  /** The SPIFFE ID the server must prove. */
  readonly identity: string
}

/** Errors of this code never reached an app: callers treat them like a refused connection. */
export const NO_CERTIFICATE = 'ERR_MESH_NO_CERTIFICATE'

/**
 * Called for each read of a plain socket with the bytes read into a buffer shared by every such
 * socket: they must be used or copied before it returns. Return false to pause the socket.
 */
export type PlainReader = (bytes: number, buf: Buffer) => boolean

// One buffer for the reads of every plain socket given a PlainReader. Without it Node allocates
// 64 KB for each read, copies what arrived into a buffer of its own and frees the 64 KB: about a
// microsecond per read (bench notes in docs/performance.md).
const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024)

/**
 * A connecting socket; `ready` is the event that says it can carry a request. `plainReader`: a
 * plain socket is read through it (Node's `onread`) instead of `data` events; a TLS one ignores it.
 */
export function dial(host: string, port: number, peer: MeshPeer | null, alpn: 'http/1.1' | 'h2' | null, allowHalfOpen = false, plainReader: PlainReader | null = null): Socket {
  if (peer === null) {
    return netConnect({ host, port, noDelay: true, allowHalfOpen, ...(plainReader !== null ? { onread: { buffer: SHARED_READ_BUFFER, callback: plainReader } } : {}) })
  }
  const context = peer.certificate.context
  if (context === null) {
    const s = new Socket()
    process.nextTick(() => s.destroy(Object.assign(new Error('no mesh certificate yet'), { code: NO_CERTIFICATE })))
    return s
  }
  const expected = peer.identity
  const options: ConnectionOptions & { allowHalfOpen: boolean } = {   // tls.connect passes allowHalfOpen on; the types omit it
    host, port, secureContext: context, allowHalfOpen, ALPNProtocols: alpn === null ? undefined : [alpn],
    checkServerIdentity: (_host, cert) => checkPeerIdentity(expected, cert),
  }
  const s = tlsConnect(options)
  s.setNoDelay(true)
  return s
}

/** The event after which a dialled socket is usable. */
export function readyEvent(peer: MeshPeer | null): 'connect' | 'secureConnect' {
  return peer === null ? 'connect' : 'secureConnect'
}
