// A minimal WebSocket (RFC 6455) app and client for tests: handshake, single-frame text messages
// up to 125 bytes, masked from the client, echoed unmasked by the app. Nothing more.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const accept = (key: string) => createHash('sha1').update(key + GUID).digest('base64')

/** An HTTP app that echoes WebSocket text frames with `name:` prefixed, and answers plain requests with JSON. */
export async function startWebSocketApp(name: string): Promise<{ server: Server; port: number; upgrades: string[] }> {
  const upgrades: string[] = []
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ name, url: req.url, upgrade: req.headers.upgrade ?? null }))
  })
  server.on('upgrade', (req, socket: Socket) => {
    upgrades.push(String(req.url))
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept(String(req.headers['sec-websocket-key']))}\r\n\r\n`)
    socket.on('data', (d: Buffer) => {
      const text = decodeFrame(d)
      if (text !== null) socket.write(encodeFrame(`${name}:${text}`, false))
    })
    socket.on('error', () => socket.destroy())
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()))
  return { server, port: (server.address() as AddressInfo).port, upgrades }
}

export function encodeFrame(text: string, mask: boolean): Buffer {
  const payload = Buffer.from(text)
  if (payload.length > 125) throw new Error('test frames are small')
  const head = Buffer.from([0x81, (mask ? 0x80 : 0) | payload.length])
  if (!mask) return Buffer.concat([head, payload])
  const key = randomBytes(4)
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]))
  return Buffer.concat([head, key, masked])
}

/** The text of one small frame, or null when `d` is not one. */
export function decodeFrame(d: Buffer): string | null {
  if (d.length < 2 || (d[0] & 0x0f) !== 1) return null
  const masked = (d[1] & 0x80) !== 0, len = d[1] & 0x7f
  if (len > 125) return null
  const start = masked ? 6 : 2
  if (d.length < start + len) return null
  const body = d.subarray(start, start + len)
  return masked ? Buffer.from(body.map((b, i) => b ^ d[2 + (i % 4)])).toString() : body.toString()
}

export interface WsClient { readonly socket: Socket; readonly status: number; readonly head: string; send(text: string): Promise<string | null> }

/** TLS for `wss://`: the CA to trust; the Host is the SNI name; ALPN offers http/1.1 only. */
export interface WsTls { readonly ca: Buffer[] }

/** Connects, sends the Upgrade handshake and resolves with the response head (and the socket if 101). */
export function openWebSocket(port: number, host: string, path: string, tls?: WsTls): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tls ? connectTls({ port, host: '127.0.0.1', servername: host, ca: tls.ca, ALPNProtocols: ['http/1.1'] }) : connect(port, '127.0.0.1')
    const key = randomBytes(16).toString('base64')
    let buf = Buffer.alloc(0)
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no handshake response')) }, 5000)
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      clearTimeout(timer)
      socket.off('data', onData)
      const head = buf.subarray(0, end).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      if (status === 101 && !head.toLowerCase().includes(`sec-websocket-accept: ${accept(key).toLowerCase()}`)) {
        reject(new Error(`bad accept in ${head}`)); return
      }
      resolve({ socket, status, head, send: text => send(socket, text) })
    }
    socket.on('data', onData)
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
      `sec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`)
  })
}

function send(socket: Socket, text: string): Promise<string | null> {
  return new Promise(resolve => {
    const timer = setTimeout(() => { socket.off('data', onData); resolve(null) }, 5000)
    const onData = (d: Buffer) => { clearTimeout(timer); socket.off('data', onData); resolve(decodeFrame(d)) }
    socket.on('data', onData)
    socket.write(encodeFrame(text, true))
  })
}
