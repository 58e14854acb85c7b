// The proxies' side of the control plane API (join token): register, the snapshot stream, status reports.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { gatewayIdentity, spiffeId, splitQualified } from '../../identity/spiffe.js'
import type { IssuedCertificate } from '../../identity/issued-certificate.js'
import type { ControlPlane } from '../control-plane.js'
import { HttpError, readJson, sendJson } from '../http-util.js'
import type { Observed, ProxyRegistration } from '../registry.js'

export async function handleProxyApi(cp: ControlPlane, req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
  const claims = cp.creds.verifyJoin(req.headers.authorization, Date.now())
  if (!claims) throw new HttpError(401, 'a valid join token is required')
  const parts = path.split('/').filter(Boolean) // api v1 proxies [id] [action]
  if (parts.length === 3 && method === 'POST') {
    const body = await readJson(req)
    const reg = parseRegistration(body)
    // A token limited to one Workload registers that Workload's sidecars only: never a gateway,
    // whose identity sidecars trust for x-trellis-consumer.
    if (claims.workload && (reg.kind !== 'sidecar' || reg.workload !== claims.workload)) throw new HttpError(403, `join token is for sidecars of workload ${claims.workload}`)
    if (reg.kind === 'gateway' && !cp.config.ir.gateways.some(g => g.name === reg.gateway)) throw new HttpError(404, `Gateway "${reg.gateway}" is not in the config`)
    const td = cp.config.ir.mesh.trustDomain
    const workload = cp.config.ir.workloads.find(w => w.name === reg.workload)
    if (reg.kind === 'sidecar' && !workload) throw new HttpError(404, `Workload "${reg.workload}" is not in the config`)
    const identity = reg.kind === 'gateway'
      ? gatewayIdentity(td, reg.gateway ?? '')
      : spiffeId(td, splitQualified(reg.workload ?? '')[0], workload!.identity)
    const labels = workload ? workload.labels : reg.labels
    const publicKey = (body as { publicKey?: unknown }).publicKey
    // Issued before registering: a key the CA refuses leaves no half-registered proxy behind.
    const issued = typeof publicKey === 'string' ? await issue(cp, publicKey, identity) : null
    const acked = (body as { ackedVersion?: unknown }).ackedVersion
    if (typeof acked === 'number') cp.raiseVersionAbove(acked)         // registering bumps the version past it
    const rec = cp.registry.register({ ...reg, identity, labels }, Date.now())
    if (issued) rec.certificate = { serial: issued.serial, notAfter: issued.notAfter }
    return sendJson(res, 201, { id: rec.id, name: rec.name, identity, heartbeatMs: cp.heartbeatMs, ...(issued ? { certificate: issued } : {}) })
  }
  const rec = cp.registry.get(parts[3] ?? '')
  if (!rec) throw new HttpError(404, 'unknown proxy; register again')
  if (claims.workload && (rec.kind !== 'sidecar' || rec.workload !== claims.workload)) throw new HttpError(403, `join token is for sidecars of workload ${claims.workload}`)
  if (parts[4] === 'certificate' && method === 'POST') {
    const publicKey = ((await readJson(req)) as { publicKey?: unknown }).publicKey
    if (typeof publicKey !== 'string') throw new HttpError(400, 'publicKey (SPKI PEM) is required')
    const issued = await issue(cp, publicKey, rec.identity)
    rec.certificate = { serial: issued.serial, notAfter: issued.notAfter }
    return sendJson(res, 200, issued)
  }
  if (parts[4] === 'stream' && method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
    res.flushHeaders()
    req.socket.setNoDelay(true)
    cp.registry.setConnected(rec, true, Date.now())
    res.on('close', () => {
      cp.registry.setConnected(rec, false, Date.now())
      cp.registry.remove(rec.id) // a closed stream means the proxy is gone; it re-registers if not
    })
    cp.pusher.attach(rec, res)
    cp.taps.proxyAttached(rec)
    return
  }
  if (parts[4] === 'taps' && parts.length === 6 && method === 'POST') {
    const body = await readJson(req)
    if (!cp.taps.receive(rec, parts[5], body)) throw new HttpError(410, 'tap ended')
    return sendJson(res, 200, { ok: true })
  }
  if (parts[4] === 'status' && method === 'POST') {
    const body = (await readJson(req)) as { appReady?: boolean; ackedVersion?: number; nack?: { version: number; reason: string } | null; observed?: Observed | null; stats?: unknown }
    if (body.observed && typeof body.observed === 'object') rec.observed = sanitizeObserved(body.observed)
    if (body.stats !== undefined) cp.stats.ingest(rec, body.stats, Date.now())
    if (typeof body.ackedVersion === 'number' && body.ackedVersion > rec.ackedVersion) rec.ackedVersion = body.ackedVersion
    // The proxy reports its latest rejection until a later version applies; count and log each once.
    const nack = body.nack && typeof body.nack.version === 'number' ? { version: body.nack.version, reason: String(body.nack.reason) } : null
    if (nack && nack.version !== rec.nack?.version) { cp.metrics.nacks.inc(); cp.log(`proxy ${rec.name} rejected version ${nack.version}: ${nack.reason}`) }
    rec.nack = nack
    cp.registry.report(rec, body.appReady === true || rec.kind === 'gateway', Date.now())
    for (const w of cp.waiters) w()
    return sendJson(res, 200, { version: cp.currentVersion })
  }
  throw new HttpError(404, 'not found')
}

async function issue(cp: ControlPlane, publicKey: string, identity: string): Promise<IssuedCertificate> {
  try {
    const issued = await cp.ca.issue(publicKey, identity, cp.certTtlMs)
    cp.metrics.certificatesIssued.inc()
    return issued
  } catch (err) {
    throw new HttpError(400, (err as Error).message)
  }
}

function parseRegistration(body: unknown): ProxyRegistration {
  const b = body as Record<string, unknown>
  const kind = b.kind === 'gateway' ? 'gateway' : b.kind === 'sidecar' ? 'sidecar' : null
  if (!kind) throw new HttpError(400, 'kind must be sidecar or gateway')
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null)
  const q = (v: unknown) => { const s = str(v); return s && !s.includes('/') ? `default/${s}` : s }
  const reg: ProxyRegistration = {
    kind, workload: q(b.workload), gateway: q(b.gateway),
    replica: typeof b.replica === 'number' ? b.replica : null, pid: typeof b.pid === 'number' ? b.pid : null,
    labels: (b.labels && typeof b.labels === 'object' ? b.labels : {}) as Record<string, string>,
    adminAddress: str(b.adminAddress) ?? '', inboundAddress: str(b.inboundAddress), identity: '', incarnation: str(b.incarnation) ?? '',
  }
  if (kind === 'sidecar' && (!reg.workload || reg.replica === null)) throw new HttpError(400, 'sidecars register with workload and replica')
  if (kind === 'gateway' && !reg.gateway) throw new HttpError(400, 'gateways register with gateway')
  return reg
}

/** Keeps only the expected shape of a proxy's report (it comes from the network). */
function sanitizeObserved(o: Observed): Observed {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 10_000) : [])
  const circuits: Record<string, { open: boolean; active: number; rejected: number }> = {}
  if (o.circuits && typeof o.circuits === 'object') {
    for (const [k, v] of Object.entries(o.circuits).slice(0, 1000)) {
      if (v && typeof v === 'object') circuits[k] = { open: v.open === true, active: Number(v.active) || 0, rejected: Number(v.rejected) || 0 }
    }
  }
  return { ejected: strings(o.ejected), unhealthy: strings(o.unhealthy), circuits }
}
