// A small HTTP client for tests: one keep-alive agent, bounded time per request.
import { Agent, request } from 'node:http'

export const agent = new Agent({ keepAlive: true, maxSockets: 64 })

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: () => any }

export function get(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent, timeout: 10_000 }, res => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', c => { data += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: () => JSON.parse(data) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)))
    req.on('error', reject)
    req.end(body)
  })
}

export async function eventually<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown = null
  while (Date.now() < deadline) {
    try { const v = await fn(); if (v) return v } catch (err) { last = err }
    await new Promise(r => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
