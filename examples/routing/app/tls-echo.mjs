// A TLS server with no dependencies, for TLS passthrough: the gateway forwards the encrypted stream
// by SNI, so this app holds the certificate (CERT, KEY from spec.env) and terminates TLS itself.
// It answers one HTTP/1.1 request per connection with `<workload> terminated TLS for <SNI name>`.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:tls'

const me = process.env.TRELLIS_WORKLOAD
createServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) }, socket => {
  socket.once('data', () => {
    const body = `${me} terminated TLS for ${socket.servername}\n`
    socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`)
  })
  socket.on('error', () => socket.destroy())
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`${me} (tls) listening on ${process.env.PORT}`))
