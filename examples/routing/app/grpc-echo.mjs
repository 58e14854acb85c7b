// A gRPC service with no dependencies, over h2c (how sidecars reach apps of `grpc` Services):
// every unary call `/<service>/<method>` answers its request message unchanged, plus a header
// `x-handled-by: <workload> <service>/<method>`. Messages are opaque bytes; no .proto needed.
import { createServer } from 'node:http2'

const me = process.env.TRELLIS_WORKLOAD
const server = createServer()
server.on('stream', (stream, headers) => {
  const path = String(headers[':path'])
  if (path === '/healthz') { stream.respond({ ':status': 200 }); stream.end(); return }
  const chunks = []
  stream.on('data', c => chunks.push(c))
  stream.on('end', () => {
    const frames = Buffer.concat(chunks)   // 5-byte prefix + message, echoed as is
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-handled-by': `${me} ${path.slice(1)}` }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
    stream.end(frames)
  })
})
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`${me} (gRPC, h2c) listening on ${process.env.PORT}`))
