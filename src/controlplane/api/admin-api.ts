// The admin side of the control plane API (admin token): apply/delete, drain, rollouts, tokens, reads.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SourceText } from '../../config/index.js'
import { formatDiagnostic } from '../../ir/index.js'
import type { ControlPlane } from '../control-plane.js'
import { HttpError, readJson, sendJson } from '../http-util.js'
import { GET_TYPES, instanceViews, kindsFor, proxyView, resourceViews } from '../views.js'
import { handleObserveApi } from './observe-api.js'

export async function handleAdminApi(cp: ControlPlane, req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
  const what = url.pathname.slice('/api/v1/'.length)
  if (method === 'POST' && (what === 'apply' || what === 'delete' || what === 'replace')) {
    const body = (await readJson(req)) as { sources?: SourceText[] }
    const ok = Array.isArray(body.sources) && body.sources.every(x => x && typeof x.file === 'string' && typeof x.dir === 'string' && typeof x.text === 'string')
    if (!ok) throw new HttpError(400, 'body must be {"sources": [{"file": string, "dir": string, "text": string}, …]}')
    const result = await cp.apply(body.sources as SourceText[], what)
    const render = { version: cp.currentVersion, changes: result.changes, errors: result.errors.map(formatDiagnostic), warnings: result.warnings.map(formatDiagnostic) }
    if (!result.ok) return sendJson(res, 422, render)
    if (url.searchParams.get('wait')) {
      const acked = await cp.waitForAcks(cp.currentVersion, Number(url.searchParams.get('timeoutMs') ?? 30000))
      return sendJson(res, acked ? 200 : 504, { ...render, acked })
    }
    return sendJson(res, 200, render)
  }
  if (method === 'POST' && what === 'instances/pid') {
    const body = (await readJson(req)) as { instance?: string; pid?: number; incarnation?: string }
    const found = typeof body.pid === 'number' && cp.registry.setAppPid(String(body.instance), body.pid, typeof body.incarnation === 'string' ? body.incarnation : null)
    return sendJson(res, found ? 200 : 404, { ok: found })
  }
  if (method === 'POST' && what === 'tokens') {
    const body = (await readJson(req)) as { workload?: string | null; ttlMs?: number }
    const ttl = typeof body.ttlMs === 'number' && body.ttlMs > 0 ? Math.min(body.ttlMs, 365 * 24 * 3600_000) : 24 * 3600_000
    const w = typeof body.workload === 'string' && body.workload ? (body.workload.includes('/') ? body.workload : `default/${body.workload}`) : null
    return sendJson(res, 201, { token: cp.creds.createJoinToken(w, ttl, Date.now()), workload: w, expiresInMs: ttl })
  }
  if (method === 'POST' && what === 'rollout/restart') {
    const body = (await readJson(req)) as { workload?: string }
    const name = String(body.workload ?? '')
    const q = name.includes('/') ? name : `default/${name}`
    if (!cp.config.ir.workloads.some(w => w.name === q)) {
      throw new HttpError(404, `Workload "${name}" not found; known: ${cp.config.ir.workloads.map(w => w.name).join(', ') || 'none'}`)
    }
    cp.rollouts[q] = (cp.rollouts[q] ?? 0) + 1
    cp.bump(false)
    return sendJson(res, 200, { workload: q, generation: cp.rollouts[q], version: cp.currentVersion })
  }
  if (method === 'POST' && what === 'drain') {
    const body = (await readJson(req)) as { instance?: string; draining?: boolean; incarnation?: string }
    const found = cp.registry.setDraining(String(body.instance), body.draining !== false, typeof body.incarnation === 'string' ? body.incarnation : null)
    if (found) await cp.waitForAcks(cp.currentVersion, 5000)
    return sendJson(res, found ? 200 : 404, { version: cp.currentVersion })
  }
  if (handleObserveApi(cp, req, res, url, what)) return
  if (method !== 'GET') throw new HttpError(405, 'method not allowed')
  if (what === 'status') {
    return sendJson(res, 200, { version: cp.currentVersion, ready: cp.isReady(), store: cp.opts.store.url, warnings: cp.config.warnings.map(formatDiagnostic) })
  }
  if (what === 'ir') return sendJson(res, 200, { version: cp.currentVersion, ir: cp.config.ir, rollouts: cp.rollouts })
  const td = cp.config.ir.mesh.trustDomain
  if (what === 'proxies') return sendJson(res, 200, { items: cp.registry.list().map(p => proxyView(p, td)) })
  if (what === 'instances') return sendJson(res, 200, { items: instanceViews(cp.config.ir, cp.registry.list()) })
  const [group, name] = what.split('/')
  const kinds = kindsFor(group)
  if (!kinds) throw new HttpError(404, `unknown resource type "${group}"; known: ${GET_TYPES.join(', ')} (or a kind such as httproutes)`)
  let items = resourceViews(cp.config.list(), kinds, cp.currentVersion)
  if (name) items = items.filter(i => (i as { metadata?: { name?: string } }).metadata?.name === name)
  if (name && items.length === 0) throw new HttpError(404, `${group} "${name}" not found`)
  return sendJson(res, 200, { items })
}
