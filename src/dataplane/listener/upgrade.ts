// HTTP/1.1 Upgrade at a listener: which upgrades are tunnelled (WebSocket only), the mesh's own
// refusal on the raw socket, and handing any other upgrade (h2c) back to the HTTP parser as a
// plain request, since Node routes every `Connection: upgrade` request to the 'upgrade' event.
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ProxyError } from '../errors.js'
import { closeLingering } from './lingering-close.js'

const DROP = new Set(['connection', 'upgrade', 'http2-settings'])

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const u = req.headers.upgrade
  return u !== undefined && u.length <= 64 && /(^|,)\s*websocket\s*(,|$)/i.test(u) && req.method === 'GET'
}

/** Re-feeds the request, without its upgrade headers, to the HTTP server on the same socket. */
export function handBack(server: Server, req: IncomingMessage, socket: Socket, head: Buffer, tls: boolean): void {
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    if (DROP.has(raw[i].toLowerCase())) continue
    text += `${raw[i]}: ${raw[i + 1]}\r\n`
  }
  text += '\r\n'
  const bytes = Buffer.from(text, 'latin1')
  socket.unshift(head.length > 0 ? Buffer.concat([bytes, head]) : bytes)
  server.emit(tls ? 'secureConnection' : 'connection', socket)   // an https server parses HTTP on 'secureConnection'
}

/** Answers an Upgrade request with the mesh's error response, then closes the connection. */
export function rejectUpgrade(socket: Duplex, err: ProxyError): void {
  if (socket.destroyed) return
  const body = `${err.reason}: ${err.message}\n`
  closeLingering(socket, `HTTP/1.1 ${err.status} Error\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `x-trellis-reason: ${err.reason}\r\nconnection: close\r\n\r\n${body}`)
}
