// Asks the OS for a free loopback port. Another process could take it before we bind it; callers
// that bind right away (our own proxies) accept that small window, as every "pick a free port" does.
import { createServer } from 'node:net'

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}
