// An HTTP echo app with no dependencies: answers JSON with who it is (workload, version), what it
// received (method, path with query, Host, the x-* headers it was sent). With COUNT=1 (spec.env)
// it also says how many requests it has served; DELAY_MS makes it answer slowly (timeout rules).
import { createServer } from 'node:http'

const me = { workload: process.env.TRELLIS_WORKLOAD, version: process.env.VERSION ?? 'v1' }
const delayMs = Number(process.env.DELAY_MS ?? 0)
const count = process.env.COUNT === '1'
let requests = 0

createServer((req, res) => {
  requests++
  const headers = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-') && !name.startsWith('x-forwarded') && name !== 'x-request-id' && !name.startsWith('x-trellis')) headers[name] = value
  }
  const body = JSON.stringify({ ...me, method: req.method, path: req.url, host: req.headers.host, headers, ...(count ? { requests } : {}) }) + '\n'
  const answer = () => { res.writeHead(200, { 'content-type': 'application/json', 'x-app': me.workload }); res.end(body) }
  req.resume()
  req.on('end', () => (delayMs > 0 ? setTimeout(answer, delayMs) : answer()))
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`${me.workload} listening on ${process.env.PORT}`))
