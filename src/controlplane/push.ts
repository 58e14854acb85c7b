// Streams versioned snapshots to connected proxies as newline-delimited JSON.
// Pushes coalesce (latest wins); a proxy whose slice did not change gets only the new version number.
// A proxy that has not read the last push yet gets nothing more until it has, then the latest: a
// slow or stuck reader holds at most one snapshot here, however many applies come meanwhile.
import type { ServerResponse } from 'node:http'
import type { MeshIR } from '../ir/index.js'
import { projectGateway, projectSidecar } from '../snapshot/project.js'
import type { InstanceRecord, Snapshot } from '../snapshot/types.js'
import type { ProxyRecord } from './registry.js'

interface Stream { readonly proxy: ProxyRecord; readonly res: ServerResponse; lastBody: string; waiting: boolean }

export class Pusher {
  private readonly streams = new Map<string, Stream>()
  private scheduled = false

  constructor(private readonly current: () => { ir: MeshIR; version: number; instances: InstanceRecord[] }) {}

  attach(proxy: ProxyRecord, res: ServerResponse): void {
    this.streams.get(proxy.id)?.res.end()
    const stream: Stream = { proxy, res, lastBody: '', waiting: false }
    this.streams.set(proxy.id, stream)
    res.on('close', () => { if (this.streams.get(proxy.id) === stream) this.streams.delete(proxy.id) })
    const { ir, version, instances } = this.current()
    this.send(stream, ir, version, instances)
  }

  connected(id: string): boolean { return this.streams.has(id) }

  /** Ends the stream of a proxy the registry forgot; if it is still alive it registers again. */
  detach(id: string): void {
    const stream = this.streams.get(id)
    if (!stream) return
    this.streams.delete(id)
    stream.res.destroy()
  }

  /** Sends a message other than config (a tap starting or stopping); false without a stream. */
  message(id: string, msg: object): boolean {
    const stream = this.streams.get(id)
    if (!stream || stream.res.destroyed) return false
    stream.res.write(JSON.stringify(msg) + '\n')
    return true
  }

  /** Schedules one push of the latest version to every stream. Membership changes wait `delayMs`
   *  so that a burst (fifty replicas registering at start-up) goes out as one push, not fifty. */
  schedule(delayMs = 0): void {
    if (this.scheduled) return
    this.scheduled = true
    const run = () => {
      this.scheduled = false
      const { ir, version, instances } = this.current()
      for (const stream of this.streams.values()) this.send(stream, ir, version, instances)
    }
    if (delayMs > 0) setTimeout(run, delayMs).unref()
    else setImmediate(run)
  }

  /** A ping line every few seconds: a proxy that hears nothing for 15 s reconnects. */
  ping(): void {
    for (const s of this.streams.values()) s.res.write('{"type":"ping"}\n')
  }

  closeAll(): void {
    for (const s of this.streams.values()) s.res.end()
    this.streams.clear()
  }

  private send(stream: Stream, ir: MeshIR, version: number, instances: InstanceRecord[]): void {
    if (stream.res.writableNeedDrain) {
      if (stream.waiting) return
      stream.waiting = true
      stream.res.once('drain', () => {
        stream.waiting = false
        if (this.streams.get(stream.proxy.id) !== stream) return
        const latest = this.current()
        this.send(stream, latest.ir, latest.version, latest.instances)
      })
      return
    }
    const p = stream.proxy
    if (p.configVersion >= version && stream.lastBody) return
    const snap: Snapshot | null = p.kind === 'sidecar'
      ? projectSidecar(ir, p.workload ?? '', instances, 0)
      : projectGateway(ir, p.gateway ?? '', instances, 0)
    if (!snap) return // its Workload or Gateway is gone: the proxy keeps its last config until stopped
    const body = JSON.stringify(snap)
    if (body === stream.lastBody) {
      stream.res.write(`{"type":"version","version":${version}}\n`)
    } else {
      stream.lastBody = body
      stream.res.write(`{"type":"snapshot","version":${version},"snapshot":${body}}\n`)
    }
    p.configVersion = version
  }
}
