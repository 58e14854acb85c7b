// Asks the OS for a free loopback port. Another process could take it before we bind it; callers
// that bind right away (our own proxies) accept that small window, as every "pick a free port" does.
// Ports handed out by this process are never handed out twice: the OS may well return a port we
// just released, and two replicas started together must not be given the same one.
import { createServer } from 'node:net'

const handedOut = new Set<number>()

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await probe(host)
    if (!handedOut.has(port)) { handedOut.add(port); return port }
  }
  throw new Error('no free port found after 50 tries')
}

function probe(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}
