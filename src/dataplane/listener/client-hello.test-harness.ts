// Real ClientHellos for the SNI tests: what Node's TLS client sends first, caught by a plain server.
import { createServer, type AddressInfo } from 'node:net'
import { connect } from 'node:tls'

/** The first bytes a node TLS client sends for `servername` (undefined = no SNI). */
export async function clientHello(servername: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createServer(s => {
      s.once('data', (d: Buffer) => { resolve(d); s.destroy(); server.close() })
    })
    server.listen(0, '127.0.0.1', () => {
      const c = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername, rejectUnauthorized: false })
      c.on('error', () => {})
      setTimeout(() => reject(new Error('no hello')), 5000).unref()
    })
  })
}
