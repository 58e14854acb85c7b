// Small helpers for the control plane's JSON API.
import type { IncomingMessage, ServerResponse } from 'node:http'

const MAX_BODY = 32 * 1024 * 1024

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) { super(message) }
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large')
    chunks.push(chunk)
  }
  if (!size) return {}
  let body: unknown
  try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch {
    throw new HttpError(400, 'request body is not valid JSON')
  }
  // Every endpoint reads fields of the body: `null`, `5`, `"x"` or `[]` is the client's mistake, not a 500.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object')
  return body
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
