// A tiny echo service with no dependencies: answers with which workload and version it is, the
// path it received and the request headers the canary routes change. Knows nothing of the mesh
// beyond the env Trellis gives it: PORT, TRELLIS_WORKLOAD, TRELLIS_REPLICA (and VERSION from spec.env).
import { createServer } from 'node:http'

const port = Number(process.env.PORT)
const me = {
  workload: process.env.TRELLIS_WORKLOAD,
  replica: Number(process.env.TRELLIS_REPLICA),
  version: process.env.VERSION ?? 'v1',
}
const SHOWN = ['x-canary', 'x-env', 'x-debug']

createServer((req, res) => {
  const headers = {}
  for (const name of SHOWN) if (req.headers[name] !== undefined) headers[name] = req.headers[name]
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ ...me, path: req.url, headers }) + '\n')
}).listen(port, '127.0.0.1', () => console.log(`${me.workload}#${me.replica} (${me.version}) listening on ${port}`))
