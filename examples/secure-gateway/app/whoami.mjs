// The app behind the gateway: answers with who called, as the mesh tells it. It checks no token
// or key itself; the gateway did, and its sidecar passes x-trellis-consumer on only from a Gateway.
import { createServer } from 'node:http'

const port = Number(process.env.PORT)
const SHOWN = ['x-trellis-consumer', 'x-user-email', 'x-trellis-peer-identity']

createServer((req, res) => {
  const headers = {}
  for (const name of SHOWN) if (req.headers[name] !== undefined) headers[name] = req.headers[name]
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ workload: process.env.TRELLIS_WORKLOAD, path: req.url, headers, hasApiKey: 'x-api-key' in req.headers }) + '\n')
}).listen(port, '127.0.0.1', () => console.log(`${process.env.TRELLIS_WORKLOAD} listening on ${port}`))
