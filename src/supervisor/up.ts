// `trellis up`: the whole mesh on one machine. Validates, starts the control plane (a supervised
// child), applies the config, then keeps every Workload's replicas and every Gateway running to
// match the control plane's config — so `trellis apply` can scale or change them live.
import { writeFileSync, mkdirSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadAndCompile, readSources } from '../config/index.js'
import { formatDiagnostic } from '../ir/index.js'
import { AdminClient } from '../controlplane/admin-client.js'
import { Credentials } from '../controlplane/auth.js'
import { HealthWatch } from './health-watch.js'
import { ManagedProcess } from './managed-process.js'
import { MeshProcesses } from './mesh-processes.js'
import { ProcessLedger } from './process-ledger.js'
import { httpOk, waitFor } from './wait.js'

export interface UpOptions { readonly files: readonly string[]; readonly stateDir: string; readonly listen?: string }

export const CLI = fileURLToPath(new URL('../../bin/trellis.js', import.meta.url))

export async function up(opts: UpOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(line + '\n')
  const err = (line: string) => process.stderr.write(line + '\n')
  const { ir, diagnostics } = loadAndCompile([...opts.files])
  for (const d of diagnostics) err(`${d.severity === 'warning' ? 'warning: ' : ''}${formatDiagnostic(d)}`)
  if (diagnostics.some(d => d.severity === 'error')) return 1

  // Fixed addresses taken by something else would only show up later as a proxy that cannot start.
  const listenAddr = opts.listen ?? ir.mesh.controlPlaneListen
  const fixed: [string, string][] = [[listenAddr, 'the control-plane address (set Mesh.spec.controlPlane.listen or pass --listen)']]
  for (const g of ir.gateways) for (const l of g.listeners) fixed.push([`127.0.0.1:${l.port}`, `Gateway ${g.name} listener ${l.name}`])
  for (const w of ir.workloads) for (const u of w.upstreams) if (u.localPort) fixed.push([`127.0.0.1:${u.localPort}`, `Workload ${w.name} upstream ${u.service} localPort`])
  const seen = new Set<string>()
  for (const [addr, what] of fixed) {
    if (seen.has(addr)) continue
    seen.add(addr)
    if (await addressInUse(addr)) { err(`trellis up: ${addr} is already in use (another \`trellis up\`?): ${what}`); return 1 }
  }
  const stateDir = resolve(opts.stateDir)
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const creds = Credentials.loadOrCreate(stateDir)
  const ledger = new ProcessLedger(stateDir)
  const reaped = ledger.reapLeftovers()
  if (reaped > 0) err(`stopped ${reaped} process(es) left running by an earlier \`trellis up\` that did not exit cleanly`)
  ManagedProcess.ledger = ledger
  const listen = opts.listen ?? ir.mesh.controlPlaneListen
  const cpUrl = `http://${listen}`
  writeFileSync(join(stateDir, 'control-plane-url'), cpUrl + '\n', { mode: 0o600 })
  const admin = new AdminClient({ url: cpUrl, token: creds.adminToken })
  const controller = new AbortController()
  const mesh = new MeshProcesses(CLI, admin, creds.createJoinToken(null, 365 * 24 * 3600_000, Date.now()), cpUrl, out, controller.signal)

  const cp = new ManagedProcess({
    name: 'control-plane', command: process.execPath,
    args: [CLI, 'control-plane', '--listen', listen, '--state', stateDir, '--store', `file:${stateDir}`, '--parent-pid', String(process.pid)],
    cwd: process.cwd(), env: process.env,
  }, out)

  let stopping: Promise<number> | null = null
  const shutdown = () => {
    stopping ??= (async () => {
      controller.abort()
      err('stopping: draining in-flight requests')
      await mesh.stopAll(ir.mesh.drainTimeoutMs)
      await cp.stop(5000)
      ledger.clear()
      return 0
    })()
    return stopping
  }
  const done = new Promise<number>(resolveDone => {
    process.once('SIGINT', () => void shutdown().then(resolveDone))
    process.once('SIGTERM', () => void shutdown().then(resolveDone))
  })

  // Restart backoffs reset after 30 s of health: the control plane's own, and what `mesh` runs.
  new HealthWatch(() => [{ process: cp, check: () => httpOk(`${cpUrl}/healthz`) }, ...mesh.healthChecks()], controller.signal).start()
  try {
    cp.start()
    await waitFor(() => httpOk(`${cpUrl}/healthz`), controller.signal, 30_000, 'control plane')
    const applied = await admin.call<{ errors: string[] }>('POST', '/api/v1/replace', { sources: readSources([...opts.files]).sources })
    if (applied.status !== 200) {
      for (const e of applied.body.errors ?? [JSON.stringify(applied.body)]) err(e)
      await shutdown()
      return 1
    }
    await mesh.reconcile()
    mesh.watch()
    await mesh.waitReady()
    const pending = mesh.gatewayPorts()
    out('ready')
    out(`control plane: ${cpUrl} (admin token in ${join(stateDir, 'admin-token')})`)
    // The login link holds the admin token: it goes to this terminal only, never to a log.
    out(`dashboard: ${cpUrl}/?token=${encodeURIComponent(creds.adminToken)}`)
    for (const p of pending) out(`gateway ${p}`)
  } catch (e) {
    if (!controller.signal.aborted) { err(`trellis up: ${(e as Error).message}`); await shutdown(); return 1 }
  }
  return done
}

/** True when something already listens on host:port (checked before anything is started). */
function addressInUse(listen: string): Promise<boolean> {
  const i = listen.lastIndexOf(':')
  const host = listen.slice(0, i).replace(/^\[|\]$/g, ''), port = Number(listen.slice(i + 1))
  return new Promise(resolve => {
    const srv = createNetServer()
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'))
    srv.listen(port, host, () => srv.close(() => resolve(false)))
  })
}
