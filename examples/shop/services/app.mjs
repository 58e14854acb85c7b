// A tiny shop service with no dependencies: answers with who it is, and, when it has a
// downstream (CALLS=<upstream name>), what that downstream answered. Knows nothing of the mesh
// beyond the env Trellis gives it (PORT and TRELLIS_UPSTREAM_<NAME>) and the caller identity its
// sidecar proved by mTLS (the x-trellis-peer-identity header).
import { createServer, request } from 'node:http'

const port = Number(process.env.PORT)
const me = {
  service: process.env.TRELLIS_SERVICE, workload: process.env.TRELLIS_WORKLOAD,
  replica: Number(process.env.TRELLIS_REPLICA), version: process.env.VERSION ?? 'v1',
}
const calls = process.env.CALLS ? process.env[`TRELLIS_UPSTREAM_${process.env.CALLS.toUpperCase()}`] : null

function callDownstream(path, headers) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, calls), { headers: { 'x-request-id': headers['x-request-id'] ?? '' } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', c => { body += c })
      res.on('end', () => {
        try { resolve({ status: res.statusCode, body: JSON.parse(body) }) } catch { resolve({ status: res.statusCode, body }) }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

createServer(async (req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return }
  const answer = { ...me, path: req.url, caller: req.headers['x-trellis-peer-identity'] ?? null }
  try {
    if (calls) answer.downstream = await callDownstream(req.url, req.headers)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer))
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ ...answer, error: err.message }))
  }
}).listen(port, '127.0.0.1', () => console.log(`${me.workload}#${me.replica} listening on ${port}`))
