// maxRequestBodyBytes for bodies whose size is not announced (chunked) or announced honestly but
// sent longer: bytes are counted as the HTTP parser hands them over, without touching the stream's
// flow (the upstream pipe reads it as before). Past the limit the client gets 413 (too_large) if no
// response has started, and the connection is closed either way, which also aborts the upstream.
import type { IncomingMessage, ServerResponse } from 'node:http'

const BODY = 'too_large: request body exceeds maxRequestBodyBytes\n'
export const OVERSIZED_BODY_RESPONSE = `HTTP/1.1 413 Payload Too Large\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${BODY.length}\r\n` +
  `x-trellis-reason: too_large\r\nconnection: close\r\n\r\n${BODY}`

export function limitBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  let seen = 0
  let over = false
  const push = req.push
  req.push = function limitedPush(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (over) return false
    if (chunk !== null && chunk !== undefined) {
      seen += (chunk as Uint8Array).length
      if (seen > maxBytes) {
        over = true
        const socket = req.socket
        if (!res.headersSent && socket.writable) {
          socket.end(OVERSIZED_BODY_RESPONSE)
          setTimeout(() => socket.destroy(), 1000).unref()
        } else socket.destroy()
        return false
      }
    }
    return push.call(this, chunk, encoding)
  }
}
