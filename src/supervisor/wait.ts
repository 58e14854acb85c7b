// Polling helpers for start-up ordering.
import { request } from 'node:http'

export function httpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  return new Promise(resolve => {
    const req = request(url, { headers, timeout: 1000 }, res => { res.resume(); resolve(res.statusCode === 200) })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
    req.end()
  })
}

export async function waitFor(check: () => Promise<boolean>, signal: AbortSignal, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let delay = 20
  while (!signal.aborted) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`)
    await new Promise(r => setTimeout(r, delay))
    delay = Math.min(delay * 2, 250)
  }
  throw new Error(`${what}: stopped while waiting`)
}
