// Port conflicts: Gateway listeners share no port across Gateways; within one Gateway, listeners of
// the same protocol (HTTP, HTTPS or TLS) may share a port when their hostnames differ (one server,
// routed by Host or SNI), as the Gateway API allows. Workload upstream localPorts collide neither
// with each other nor with a listener, and neither takes the control plane's port where they bind.
import type { LoadedResource } from '../config/source.js'
import type { GatewaySpec } from '../resources/gateway.js'
import type { ValidResource } from '../resources/validate-resource.js'
import type { WorkloadSpec } from '../resources/workload.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'

function byPosition(a: ValidResource, b: ValidResource): number {
  const x: LoadedResource = a.source, y: LoadedResource = b.source
  return (x.file < y.file ? -1 : x.file > y.file ? 1 : 0) || x.line - y.line || x.col - y.col
}

interface Owner { gateway: string; listener: string; protocol: string; hostnames: Set<string> }

const SHAREABLE = new Set(['HTTP', 'HTTPS', 'TLS'])

// Gateway listeners and upstream listeners bind 127.0.0.1; a control plane there or on every address collides.
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '[::]'])

/** The control plane's address and port when Gateway and upstream listeners would collide with it. */
function controlPlanePort(listen: string): { listen: string; port: number } | null {
  const at = listen.lastIndexOf(':')
  return LOCAL_HOSTS.has(listen.slice(0, at)) ? { listen, port: Number(listen.slice(at + 1)) } : null
}

/** `controlPlaneListen`: the Mesh's (compileMeshSettings), whose port nothing else may take where they bind. */
export function checkPorts(cat: Catalog, sink: DiagnosticSink, controlPlaneListen: string): void {
  const listenerPorts = new Map<number, Owner>()
  const cp = controlPlanePort(controlPlaneListen)
  const cpUser = cp && `the control plane (${cp.listen}, the Mesh's controlPlane.listen)`
  for (const gw of cat.list<GatewaySpec>('Gateway').sort(byPosition)) {
    gw.spec.listeners.forEach((l, i) => {
      if (l.port === cp?.port) {
        sink.error(gw.source, ['spec', 'listeners', i, 'port'], 'PORT_CONFLICT', `port ${l.port} is already used by ${cpUser}`,
          'choose another port, or move the control plane')
        return
      }
      const owner = listenerPorts.get(l.port)
      if (!owner) {
        listenerPorts.set(l.port, { gateway: gw.qualifiedName, listener: l.name, protocol: l.protocol, hostnames: new Set([l.hostname ?? '*']) })
        return
      }
      const host = l.hostname ?? '*'
      if (owner.gateway === gw.qualifiedName && owner.protocol === l.protocol && SHAREABLE.has(l.protocol) && !owner.hostnames.has(host)) {
        owner.hostnames.add(host)
        return
      }
      const path = ['spec', 'listeners', i, 'port']
      if (owner.gateway === gw.qualifiedName) {
        sink.error(gw.source, path, 'PORT_CONFLICT', `port ${l.port} is already used by listener "${owner.listener}" of this Gateway`,
          'give each listener its own port, or the same protocol (HTTP, HTTPS or TLS) and a different hostname')
      } else {
        sink.error(gw.source, path, 'PORT_CONFLICT',
          `port ${l.port} is already used by Gateway "${owner.gateway}" (listener "${owner.listener}")`, 'give each Gateway its own ports')
      }
    })
  }
  const localPorts = new Map<number, string>()
  for (const w of cat.list<WorkloadSpec>('Workload').sort(byPosition)) {
    w.spec.upstreams.forEach((u, i) => {
      if (u.localPort === undefined) return
      const path = ['spec', 'upstreams', i, 'localPort']
      const listener = listenerPorts.get(u.localPort)
      const other = localPorts.get(u.localPort) ?? (u.localPort === cp?.port ? cpUser : undefined)
      if (listener) {
        sink.error(w.source, path, 'PORT_CONFLICT',
          `localPort ${u.localPort} is already used by Gateway "${listener.gateway}" (listener "${listener.listener}")`,
          'choose another port, or leave localPort out to get a free one')
      } else if (other) {
        sink.error(w.source, path, 'PORT_CONFLICT', `localPort ${u.localPort} is already used by ${other}`,
          'choose another port, or leave localPort out to get a free one')
      } else {
        localPorts.set(u.localPort, `Workload "${w.qualifiedName}" (upstream "${u.service}")`)
      }
    })
  }
}
