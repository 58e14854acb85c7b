// The raw response a listener writes itself when a request cannot be read (a parser error, a
// timeout, a malformed body): the mesh's reason header and a one-line body, then the connection
// closes, lingering while the client may still be sending (lingering-close.ts). Written to the
// socket directly, since no response object exists for such a request.

export function closingResponse(status: number, text: string, reason: string, detail: string): string {
  const body = `${reason}: ${detail}\n`
  return `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n` +
    `x-trellis-reason: ${reason}\r\nconnection: close\r\n\r\n${body}`
}
