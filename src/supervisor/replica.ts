// One replica of a Workload: its sidecar process and its app process. The app starts only once
// the sidecar is ready (config applied, listeners bound), so the app never races its proxy.
import { join } from 'node:path'
import type { MeshIR, WorkloadIR } from '../ir/index.js'
import { spiffeId, splitQualified } from '../identity/spiffe.js'
import { freePort } from './free-port.js'
import { ManagedProcess } from './managed-process.js'
import { PROXY_NODE_FLAGS } from './proxy-node-flags.js'
import { waitFor, httpOk } from './wait.js'

export interface ReplicaContext {
  readonly cli: string                    // path of bin/trellis.js
  readonly controlPlane: string
  readonly joinToken: string
  readonly out: (line: string) => void
  readonly ir: () => MeshIR
  readonly onAppStart: (replica: Replica, pid: number) => void
}

export class Replica {
  readonly proxy: ManagedProcess
  app: ManagedProcess | null = null
  readonly appPort: number
  readonly adminPort: number
  readonly upstreamPorts: ReadonlyMap<string, number>
  /** This start of the replica; a replacement started beside it (surge) gets another. */
  readonly incarnation = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`

  private constructor(readonly workload: WorkloadIR, readonly index: number, private readonly ctx: ReplicaContext,
      ports: { app: number; admin: number; upstreams: Map<string, number> }) {
    this.appPort = ports.app
    this.adminPort = ports.admin
    this.upstreamPorts = ports.upstreams
    const short = splitQualified(workload.name)[1]
    const upstreamArgs = [...ports.upstreams].flatMap(([svc, port]) => ['--upstream-port', `${svc}=${port}`])
    this.proxy = new ManagedProcess({
      name: `${short}-${index}.proxy`, command: process.execPath,
      args: [...PROXY_NODE_FLAGS, ctx.cli, 'proxy', '--workload', workload.name, '--replica', String(index), '--app-port', String(ports.app),
        '--admin-port', String(ports.admin), '--control-plane', ctx.controlPlane, '--parent-pid', String(process.pid),
        '--incarnation', this.incarnation, ...upstreamArgs],
      cwd: process.cwd(), env: { ...process.env, TRELLIS_TOKEN: ctx.joinToken },
    }, ctx.out)
  }

  static async create(workload: WorkloadIR, index: number, ctx: ReplicaContext): Promise<Replica> {
    const upstreams = new Map<string, number>()
    for (const u of workload.upstreams) upstreams.set(u.service, u.localPort ?? await freePort())
    return new Replica(workload, index, ctx, { app: await freePort(), admin: await freePort(), upstreams })
  }

  get name(): string { return `${this.workload.name}/${this.index}` }

  /** Starts the sidecar, waits for it, then the app. */
  async start(signal: AbortSignal): Promise<void> {
    this.proxy.start()
    await waitFor(() => httpOk(`http://127.0.0.1:${this.adminPort}/ready`), signal, 30_000, `${this.name} sidecar`)
    const w = this.workload
    const [cmd, ...args] = w.command
    this.app = new ManagedProcess({
      name: `${splitQualified(w.name)[1]}-${this.index}`,
      command: cmd.startsWith('/') || !cmd.includes('/') ? cmd : join(w.workingDir, cmd), args, cwd: w.workingDir,
      env: { ...process.env, ...w.env, ...this.appEnv() },
    }, this.ctx.out, child => { if (child.pid) this.ctx.onAppStart(this, child.pid) })
    this.app.start()
  }

  appEnv(): Record<string, string> {
    const w = this.workload
    const mesh = this.ctx.ir().mesh
    const [ns] = splitQualified(w.name)
    const env: Record<string, string> = {
      PORT: String(this.appPort),
      TRELLIS_WORKLOAD: splitQualified(w.name)[1],
      TRELLIS_REPLICA: String(this.index),
      TRELLIS_SERVICE: w.services.map(s => splitQualified(s)[1]).join(','),
      TRELLIS_IDENTITY: spiffeId(mesh.trustDomain, ns, w.identity),
    }
    const protocols = new Map(this.ctx.ir().services.map(s => [s.name, s.protocol]))
    for (const [svc, port] of this.upstreamPorts) {
      const name = splitQualified(svc)[1].toUpperCase().replace(/[^A-Z0-9]/g, '_')
      const scheme = protocols.get(svc) === 'tcp' ? 'tcp' : 'http'
      env[`TRELLIS_UPSTREAM_${name}`] = `${scheme}://127.0.0.1:${port}`
    }
    return env
  }

  /** Sidecar first (it drains in-flight requests through its inbound listener), then the app. */
  async stop(graceMs: number): Promise<void> {
    await this.proxy.stop(graceMs + 1000)
    await this.app?.stop(graceMs)
  }
}
