// maxRequestBodyBytes for bodies whose size is not announced (chunked, HTTP/2) or announced honestly
// but sent longer: bytes are counted as the parser hands them over, without touching the stream's
// flow (the upstream pipe reads it as before). Past the limit the client gets 413 (too_large; for
// gRPC, RESOURCE_EXHAUSTED) if no response has started, and the upload is stopped either way, which
// also cuts off the upstream request: on HTTP/1.1 by closing the connection, on HTTP/2 by resetting
// the request's stream alone, never the connection its neighbours share.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerHttp2Stream } from 'node:http2'
import { cutOff, ProxyError, respondError } from '../errors.js'
import { closeLingering } from './lingering-close.js'

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
        if (req.httpVersionMajor === 2) { refuseStream(res, maxBytes); return false }
        const socket = req.socket
        // The rest of the upload is read and dropped for a while, so the 413 is not lost to a reset.
        if (!res.headersSent && socket.writable) closeLingering(socket, OVERSIZED_BODY_RESPONSE)
        else socket.destroy()
        return false
      }
    }
    return push.call(this, chunk, encoding)
  }
}

/**
 * The mesh's answer on the stream, then RST_STREAM (NO_ERROR once the answer is out, as HTTP/2
 * lets a server that answered early stop an upload). A response already under way is reset.
 */
function refuseStream(res: ServerResponse, maxBytes: number): void {
  const err = new ProxyError('too_large', `request body exceeds ${maxBytes} bytes`)
  if (res.headersSent) { cutOff(res, err); return }
  respondError(res, err)
  ;(res as unknown as { stream: ServerHttp2Stream }).stream.close()
}
