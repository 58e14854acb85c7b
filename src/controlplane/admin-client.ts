// Client for the control plane's admin API, used by the CLI and by `trellis up`.
// Finds the control plane and its token: flags, then env, then the state folder (.trellis/).
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { request } from 'undici'

export interface AdminTarget { readonly url: string; readonly token: string }

export function findControlPlane(opts: { controlPlane?: string; state?: string }): AdminTarget {
  const stateDir = resolve(opts.state ?? '.trellis')
  const fromFile = (name: string) => { try { return readFileSync(join(stateDir, name), 'utf8').trim() } catch { return '' } }
  // An explicit --state wins over the environment; the environment wins over the default folder.
  const explicit = opts.state !== undefined
  const url = opts.controlPlane ?? (explicit ? fromFile('control-plane-url') : '') ?? ''
  const token = (explicit ? fromFile('admin-token') : '') || process.env.TRELLIS_ADMIN_TOKEN || fromFile('admin-token')
  return {
    url: url || process.env.TRELLIS_CONTROL_PLANE || fromFile('control-plane-url') || 'http://127.0.0.1:15000',
    token,
  }
}

export class AdminClient {
  constructor(readonly target: AdminTarget) {}

  async call<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await request(new URL(path, this.target.url), {
      method,
      headers: { authorization: `Bearer ${this.target.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 120_000, bodyTimeout: 120_000,
    })
    const text = await res.body.text()
    let parsed: unknown = text
    try { parsed = text ? JSON.parse(text) : {} } catch { /* plain text */ }
    return { status: res.statusCode, body: parsed as T }
  }
}
