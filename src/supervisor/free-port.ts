// Picks loopback ports for processes `up` starts later (apps, sidecar admin and upstream listeners).
// The port is free when picked but bound only later, by another process. Two things could take it
// meanwhile: the OS handing it out as an ephemeral port (to an outgoing connection or a listen(0)),
// and this process picking it twice. So ports come from below the OS's ephemeral range, and a port
// handed out once is never handed out again.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

const handedOut = new Set<number>()
const LOWEST = 10_000

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const top = ephemeralStart() - 1
  for (let tries = 0; tries < 200; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST))
    if (handedOut.has(port)) continue
    handedOut.add(port)                       // reserved before the check: concurrent callers skip it
    if (await canBind(port, host)) return port
    handedOut.delete(port)
  }
  throw new Error(`no free port found between ${LOWEST} and ${top}`)
}

/** The first port of the OS's ephemeral range (Linux), or the IANA default. */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low > LOWEST + 1000) return low
  } catch { /* not Linux */ }
  return 49_152
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise(resolve => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}
