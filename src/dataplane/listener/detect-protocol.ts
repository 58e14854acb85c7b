// h2c with prior knowledge and HTTP/1.1 on one plain port: the first bytes of a connection decide.
// An HTTP/2 client opens with the preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", which no HTTP/1.1
// request starts with. Node's HTTP/2 server reads its socket's handle directly, so an HTTP/2
// connection whose first bytes were already read is handed over through a small Duplex that
// replays them; an HTTP/1.1 connection simply gets its bytes back with unshift().
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { PEER_IDENTITY } from '../mtls/peer-identity.js'

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
const SNIFF_TIMEOUT_MS = 10_000

export function detectProtocol(socket: Socket, onHttp1: (s: Socket) => void, onHttp2: (s: Duplex) => void): void {
  socket.setNoDelay(true)
  sniffFirstChunk(socket, first => {
    if (looksLikeHttp2(first)) { onHttp2(replaying(socket, first)); return }
    socket.unshift(first)
    onHttp1(socket)
    socket.resume()
  })
}

/** Waits (bounded in time) for a connection's first bytes and hands them over with the socket
 *  paused; a connection that sends nothing in time, or fails, is closed. */
export function sniffFirstChunk(socket: Socket, onFirst: (first: Buffer) => void): void {
  const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS)
  socket.once('error', () => socket.destroy())
  socket.once('data', (first: Buffer) => {
    clearTimeout(timer)
    socket.pause()
    onFirst(first)
  })
  socket.once('close', () => clearTimeout(timer))
}

/** True when the bytes so far are (a prefix of) the HTTP/2 preface; "PRI " alone is enough to decide. */
export function looksLikeHttp2(first: Buffer): boolean {
  const n = Math.min(first.length, PREFACE.length)
  return n >= 4 && first.subarray(0, n).equals(PREFACE.subarray(0, n))
}

/** A Duplex over `socket` that first yields `first`; keeps the peer address (x-forwarded-for) and mesh identity. */
export function replaying(socket: Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read() { socket.resume() },
    write(chunk: Buffer, _enc, cb) { socket.write(chunk, cb) },
    final(cb) { socket.end(cb) },
    destroy(err, cb) { socket.destroy(err ?? undefined); cb(err) },
  })
  ;(d as Duplex & { remoteAddress?: string }).remoteAddress = socket.remoteAddress
  const identity = (socket as unknown as Record<symbol, unknown>)[PEER_IDENTITY]
  if (identity !== undefined) (d as unknown as Record<symbol, unknown>)[PEER_IDENTITY] = identity
  d.push(first)
  socket.on('data', (c: Buffer) => { if (!d.push(c)) socket.pause() })
  socket.once('end', () => d.push(null))
  socket.once('close', () => d.destroy())
  return d
}
