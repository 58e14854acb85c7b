// SPIFFE IDs in certificates: reading the URI SAN, and the check a caller makes of the server it
// reached (the chain is verified by TLS against the mesh roots; this adds "is it who we meant?").
import type { PeerCertificate } from 'node:tls'

/** Where an accepted connection's proven identity is kept, on the socket (and its h2 wrapper). */
export const PEER_IDENTITY = Symbol('trellis.peerIdentity')

/** The first spiffe:// URI of a subjectAltName string ("URI:spiffe://…, DNS:…"), or null. */
export function spiffeIdOf(subjectAltName: string | undefined): string | null {
  if (!subjectAltName) return null
  for (const part of subjectAltName.split(', ')) {
    if (part.startsWith('URI:spiffe://')) return part.slice(4)
  }
  return null
}

/** For tls.connect's checkServerIdentity: the server must prove `expected` (any mesh identity when null). */
export function checkPeerIdentity(expected: string | null, cert: PeerCertificate): Error | undefined {
  const got = spiffeIdOf(cert.subjectaltname)
  if (!got) return Object.assign(new Error('peer certificate names no SPIFFE ID'), { code: 'ERR_MESH_PEER_IDENTITY' })
  if (expected !== null && got !== expected) {
    return Object.assign(new Error(`peer is ${got}, expected ${expected}`), { code: 'ERR_MESH_PEER_IDENTITY' })
  }
  return undefined
}

/** The identity an accepted connection proved, or null (plaintext or not yet verified). */
export function peerIdentityOf(socket: object | null | undefined): string | null {
  return (socket as { [PEER_IDENTITY]?: string } | null)?.[PEER_IDENTITY] ?? null
}
