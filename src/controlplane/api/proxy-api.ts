// The proxies' side of the control plane API: register, the snapshot stream, status reports. A proxy
// joins with a join token and gets its own credential for every later call (see proxy-access.ts).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { gatewayIdentity, spiffeId, splitQualified } from '../../identity/spiffe.js'
import type { IssuedCertificate } from '../../identity/issued-certificate.js'
import type { ControlPlane } from '../control-plane.js'
import { HttpError, readJson, sendJson } from '../http-util.js'
import type { Observed, ProxyRegistration } from '../registry.js'
import { authenticateProxy, credentialFor, renewedCredential, requireActsAs } from './proxy-access.js'

/** Bounds on what a proxy's registration and reports may hold: names, addresses, one label. */
const MAX_FIELD = 512
const MAX_LABELS = 64
/** A rejected config's reason, as kept, shown and logged. */
const MAX_REASON = 1024
/** What one report of destinations and circuits may hold, in characters (~10 000 addresses). */
const MAX_OBSERVED_CHARS = 256 * 1024
/** Proxies registered at once for one Workload or Gateway (replicas, and replacements beside them). */
export const MAX_PROXIES_PER_OWNER = 1024

export async function handleProxyApi(cp: ControlPlane, req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
  const auth = authenticateProxy(cp, req, Date.now())
  const parts = path.split('/').filter(Boolean) // api v1 proxies [id] [action]
  if (parts.length === 3 && method === 'POST') {
    const body = await readJson(req)
    const reg = parseRegistration(body)
    requireActsAs(auth, reg)
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
    if (cp.registry.besides(reg) >= MAX_PROXIES_PER_OWNER) {
      const owner = reg.kind === 'gateway' ? `Gateway ${reg.gateway}` : `Workload ${reg.workload}`
      throw new HttpError(429, `${MAX_PROXIES_PER_OWNER} proxies are registered for ${owner} already; a proxy that stops reporting is dropped after the instance TTL`)
    }
    const acked = (body as { ackedVersion?: unknown }).ackedVersion
    // Registering bumps the version past what the proxy last applied (it may have outlived a restart);
    // the value comes from the network, so only a plausible version counts.
    if (typeof acked === 'number' && Number.isInteger(acked) && acked > 0 && acked < 2 ** 31) cp.raiseVersionAbove(acked)
    const now = Date.now()
    const rec = cp.registry.register({ ...reg, identity, labels }, now)
    if (issued) rec.certificate = { serial: issued.serial, notAfter: issued.notAfter }
    const credential = credentialFor(cp, reg, now)
    return sendJson(res, 201, { id: rec.id, name: rec.name, identity, heartbeatMs: cp.heartbeatMs, credential, ...(issued ? { certificate: issued } : {}) })
  }
  const rec = cp.registry.get(parts[3] ?? '')
  if (!rec) throw new HttpError(404, 'unknown proxy; register again')
  requireActsAs(auth, rec)
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
    const nack = body.nack && typeof body.nack.version === 'number' ? { version: body.nack.version, reason: String(body.nack.reason).slice(0, MAX_REASON) } : null
    if (nack && nack.version !== rec.nack?.version) { cp.metrics.nacks.inc(); cp.log(`proxy ${rec.name} rejected version ${nack.version}: ${nack.reason}`) }
    rec.nack = nack
    const now = Date.now()
    cp.registry.report(rec, body.appReady === true || rec.kind === 'gateway', now)
    for (const w of cp.waiters) w()
    const credential = renewedCredential(cp, auth, rec, now)
    return sendJson(res, 200, credential ? { version: cp.currentVersion, credential } : { version: cp.currentVersion })
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
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const kind = b.kind === 'gateway' ? 'gateway' : b.kind === 'sidecar' ? 'sidecar' : null
  if (!kind) throw new HttpError(400, 'kind must be sidecar or gateway')
  const str = (v: unknown, field: string) => {
    if (typeof v !== 'string' || !v) return null
    if (v.length > MAX_FIELD) throw new HttpError(400, `${field} is longer than ${MAX_FIELD} characters`)
    return v
  }
  const q = (v: unknown, field: string) => { const s = str(v, field); return s && !s.includes('/') ? `default/${s}` : s }
  const reg: ProxyRegistration = {
    kind, workload: q(b.workload, 'workload'), gateway: q(b.gateway, 'gateway'),
    replica: typeof b.replica === 'number' ? b.replica : null, pid: typeof b.pid === 'number' ? b.pid : null,
    labels: labelsOf(b.labels),
    adminAddress: str(b.adminAddress, 'adminAddress') ?? '', inboundAddress: str(b.inboundAddress, 'inboundAddress'), identity: '',
    incarnation: str(b.incarnation, 'incarnation') ?? '',
  }
  if (kind === 'sidecar' && (!reg.workload || reg.replica === null)) throw new HttpError(400, 'sidecars register with workload and replica')
  if (kind === 'gateway' && !reg.gateway) throw new HttpError(400, 'gateways register with gateway')
  return reg
}

/** A gateway's own labels (a sidecar gets its Workload's): string values only, bounded. */
function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!v || typeof v !== 'object') return out
  for (const [k, x] of Object.entries(v).slice(0, MAX_LABELS)) if (typeof x === 'string' && k.length <= MAX_FIELD && x.length <= MAX_FIELD) out[k] = x
  return out
}

/** Keeps only the expected shape of a proxy's report (it comes from the network), in bounded sizes. */
function sanitizeObserved(o: Observed): Observed {
  let budget = MAX_OBSERVED_CHARS
  const short = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_FIELD && (budget -= x.length + 16) >= 0
  const strings = (v: unknown) => (Array.isArray(v) ? [...new Set(v.slice(0, 10_000))].filter(short) : [])  // each name once
  const circuits: Record<string, { open: boolean; active: number; rejected: number }> = {}
  if (o.circuits && typeof o.circuits === 'object') {
    for (const [k, v] of Object.entries(o.circuits).slice(0, 1000)) {
      if (short(k) && v && typeof v === 'object') circuits[k] = { open: v.open === true, active: Number(v.active) || 0, rejected: Number(v.rejected) || 0 }
    }
  }
  return { ejected: strings(o.ejected), unhealthy: strings(o.unhealthy), circuits }
}
