// Joins two sockets into one tunnel: bytes both ways with back-pressure (pipe pauses the reader
// while the writer's buffer is full), half-closes passed on, and an idle timeout. Whichever side
// errors or fully closes, both are destroyed, so no socket outlives its peer.
import type { Duplex } from 'node:stream'

export interface Tunnel { readonly closed: Promise<void> }

/** `idleMs` 0 = none. `head` bytes already read from `client` are written to `upstream` first. */
export function pipeSockets(client: Duplex, upstream: Duplex, idleMs: number, head: Uint8Array | null = null): Tunnel {
  let done = false
  let resolve!: () => void
  const closed = new Promise<void>(r => { resolve = r })
  const finish = () => {
    if (done) return
    done = true
    client.destroy()
    upstream.destroy()
    resolve()
  }
  let ended = 0
  const onEnd = () => { if (++ended === 2) finish() }
  for (const s of [client, upstream]) {
    s.on('error', finish)
    s.on('close', finish)
    s.on('end', onEnd)
    const sock = s as Duplex & { setTimeout?: (ms: number, cb: () => void) => void }
    if (idleMs > 0 && typeof sock.setTimeout === 'function') sock.setTimeout(idleMs, finish)
  }
  if (head && head.length > 0) upstream.write(head)
  client.pipe(upstream)
  upstream.pipe(client)
  return { closed }
}
