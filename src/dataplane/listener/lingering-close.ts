// Closing a connection whose client may still be sending: after a refusal the listener answers
// itself (431, 413, 400, 408, a refused upgrade) or a response that closes the connection. As nginx
// and Apache do ("lingering close"), the answer is written and the socket ended, then what the
// client still sends is read and dropped for a while before the socket is destroyed. Destroyed with
// bytes unread, the connection would be reset (the kernel answers unread data with RST), and a
// client still uploading its head or body could lose the answer already sent to it: its kernel
// drops what it received and had not yet handed to the client. Bounded in time and bytes, so a
// client that never stops sending cannot hold the connection.
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/** How long a client may go on sending after the answer before its connection is destroyed. */
export const LINGER_MS = 2000
/** How much of what it sends meanwhile is read and dropped before the connection is destroyed. */
export const LINGER_MAX_BYTES = 4 * 1024 * 1024

const lingering = new WeakMap<Duplex, { dropped: number }>()

/** True once `socket` is closing through closeLingering: its answer is out, nothing more is read from it. */
export function isLingering(socket: Duplex): boolean {
  return lingering.has(socket)
}

/**
 * Writes `answer` (when given and the socket still takes writes), ends the socket, and then reads
 * and drops what the client still sends for up to LINGER_MS or LINGER_MAX_BYTES, then destroys it
 * (sooner when the client closes its side). Whoever read the connection so far (the fast path,
 * Node's HTTP parser) is done with it: their 'data' listeners are removed. Idempotent.
 */
export function closeLingering(socket: Duplex, answer: string | null = null): void {
  if (socket.destroyed || lingering.has(socket)) return
  lingering.set(socket, { dropped: 0 })
  if (socket.writable) {
    if (answer !== null) socket.end(answer)
    else socket.end()
  }
  socket.removeAllListeners('data')
  socket.on('data', dropData)
  socket.on('error', destroyOnError)
  socket.resume()
  // A reader that stops the socket later in this turn (Node's parser refusing one more body chunk)
  // does not stop the draining.
  setImmediate(resumeSocket, socket)
  setTimeout(destroySocket, LINGER_MS, socket).unref()
}

/**
 * A response written through Node's HTTP/1.1 server that closes its connection while the request
 * body may still be arriving (a 413 for an announced length): Node destroys the socket as soon as
 * the response is written (`destroySoon`); this connection lingers instead.
 */
export function lingerAfterResponse(socket: Socket): void {
  socket.destroySoon = lingerInstead
}

function lingerInstead(this: Duplex): void { closeLingering(this) }

function dropData(this: Duplex, chunk: Buffer): void {
  const state = lingering.get(this)
  if (state === undefined) return
  state.dropped += chunk.length
  if (state.dropped > LINGER_MAX_BYTES) this.destroy()
}

function destroyOnError(this: Duplex): void { this.destroy() }
function resumeSocket(socket: Duplex): void { if (!socket.destroyed) socket.resume() }
function destroySocket(socket: Duplex): void { socket.destroy() }
