// An in-process mesh for integration tests: a control plane on 127.0.0.1:0 with a memory store,
// sidecars and backends on real sockets, config applied from YAML text.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlPlane } from '../../controlplane/control-plane.js'
import { MemoryStore } from '../../controlplane/store/memory-store.js'
import { formatDiagnostic } from '../../ir/index.js'
import { SidecarProxy } from '../../dataplane/sidecar-proxy.js'
import { GatewayProxy } from '../../gateway/gateway-proxy.js'
import { startBackend, type Backend } from './backends.js'

export class TestMesh {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'trellis-test-'))
  cp!: ControlPlane
  readonly sidecars: SidecarProxy[] = []
  readonly gateways: GatewayProxy[] = []
  readonly backends: Backend[] = []
  /** App backend of each sidecar, to know which instances should be ready. */
  private readonly apps = new Map<SidecarProxy, Backend>()
  private port = 0

  async start(listen = '127.0.0.1:0', opts: { certTtlMs?: number } = {}): Promise<this> {
    this.cp = new ControlPlane({ store: new MemoryStore(), stateDir: this.stateDir, listen, instanceTtlMs: 3000, log: () => {}, certTtlMs: opts.certTtlMs })
    await this.cp.start()
    this.port = Number(this.cp.address.split(':')[1])
    return this
  }

  get url(): string { return `http://127.0.0.1:${this.port}` }
  get joinToken(): string { return this.cp.creds.createJoinToken(null, 3600_000, Date.now()) }

  async apply(yaml: string, mode: 'apply' | 'delete' | 'replace' = 'apply'): Promise<number> {
    const res = await this.cp.apply([{ file: 'test.yaml', dir: this.stateDir, text: yaml }], mode)
    if (!res.ok) throw new Error(res.errors.map(formatDiagnostic).join('\n'))
    return this.cp.currentVersion
  }

  /** A backend app plus its sidecar, registered as replica `replica` of `workload`. */
  async replica(workload: string, replica: number, opts: { delayMs?: number; name?: string } = {}): Promise<{ backend: Backend; sidecar: SidecarProxy }> {
    const backend = await startBackend(opts.name ?? `${workload}-${replica}`, opts)
    this.backends.push(backend)
    const sidecar = await this.sidecar(workload, replica, backend.port)
    this.apps.set(sidecar, backend)
    return { backend, sidecar }
  }

  async sidecar(workload: string, replica: number, appPort: number): Promise<SidecarProxy> {
    const sidecar = new SidecarProxy({ workload: `default/${workload}`, replica, appPort, controlPlane: this.url, token: this.joinToken, log: () => {} })
    await sidecar.start()
    this.sidecars.push(sidecar)
    return sidecar
  }

  /** Stops a replica abruptly: its sidecar and its app, as if the process died. */
  async kill(sidecar: SidecarProxy): Promise<void> {
    this.sidecars.splice(this.sidecars.indexOf(sidecar), 1)
    await Promise.all([sidecar.stop(0), this.apps.get(sidecar)?.close()])
  }

  async gateway(name: string): Promise<GatewayProxy> {
    const gw = new GatewayProxy({ gateway: `default/${name}`, controlPlane: this.url, token: this.joinToken, log: () => {} })
    await gw.start()
    this.gateways.push(gw)
    return gw
  }

  /** Resolves when every connected proxy has acked the control plane's current version. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const v = this.cp.currentVersion
      const proxies = this.cp.registry.list()
      const wantReady = this.sidecars.filter(s => !this.apps.get(s)?.closed).length
      const ready = this.cp.registry.instances().filter(i => i.ready).length
      if (proxies.length >= this.sidecars.length + this.gateways.length && proxies.every(p => p.connected && p.ackedVersion >= v)
        && ready >= wantReady) {
        await new Promise(r => setTimeout(r, 20))
        if (this.cp.currentVersion === v) return
      }
      await new Promise(r => setTimeout(r, 20))
    }
    throw new Error('mesh did not settle')
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sidecars, ...this.gateways].map(p => p.stop(100)))
    await Promise.all(this.backends.map(b => b.close()))
    await this.cp?.stop().catch(() => {})
    rmSync(this.stateDir, { recursive: true, force: true })
  }
}
