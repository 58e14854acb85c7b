// A TCP echo app with no dependencies: every line it receives comes back as `<workload>: <line>`.
import { createServer } from 'node:net'

const me = process.env.TRELLIS_WORKLOAD
createServer(socket => {
  let buf = ''
  socket.setEncoding('utf8')
  socket.on('data', d => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) { socket.write(`${me}: ${buf.slice(0, nl)}\n`); buf = buf.slice(nl + 1) }
  })
  socket.on('error', () => socket.destroy())
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`${me} (tcp) listening on ${process.env.PORT}`))
