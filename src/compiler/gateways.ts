// Gateways → GatewayIR: listeners (sorted by name) with certificates and their route tables.
import { resolve } from 'node:path'
import type { CertificateIR, GatewayIR, ListenerIR } from '../ir/gateway.js'
import type { CertificateSpec } from '../resources/certificate.js'
import type { GatewaySpec, Listener } from '../resources/gateway.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { resolveRef, type Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'
import type { ClientTrafficIR } from '../ir/client-traffic.js'
import { listenerKey, routeTable, type CompiledRoutes } from './routes.js'
import { sortStreamRoutes } from './stream-routes.js'

const CERT_GROUPS = ['trellis.dev', '']

function certificates(cat: Catalog, sink: DiagnosticSink, gw: ValidResource<GatewaySpec>, l: Listener, li: number): CertificateIR[] {
  const out: CertificateIR[] = []
  l.tls?.certificateRefs.forEach((ref, i) => {
    const path = ['spec', 'listeners', li, 'tls', 'certificateRefs', i]
    if (ref.kind !== 'Certificate' || !CERT_GROUPS.includes(ref.group)) {
      sink.error(gw.source, [...path, 'kind'], 'UNSUPPORTED_REF', `certificateRefs kind "${ref.kind}" is not supported`,
        'use kind: Certificate (a trellis.dev/v1alpha1 Certificate)')
      return
    }
    const ns = ref.namespace ?? gw.namespace
    const q = `${ns}/${ref.name}`
    const cert = resolveRef<CertificateSpec>(cat, sink, gw.source, path, { kind: 'Certificate', namespace: ns, name: ref.name, home: gw.namespace })
    if (!cert) return
    out.push({ name: q, certFile: resolve(cert.source.dir, cert.spec.certFile), keyFile: resolve(cert.source.dir, cert.spec.keyFile) })
  })
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export function compileGateways(cat: Catalog, sink: DiagnosticSink, routes: CompiledRoutes,
  clientTraffic: ReadonlyMap<string, ClientTrafficIR>): GatewayIR[] {
  const out: GatewayIR[] = []
  for (const gw of cat.list<GatewaySpec>('Gateway')) {
    const listeners: ListenerIR[] = gw.spec.listeners.map((l, i) => ({
      name: l.name,
      port: l.port,
      protocol: l.protocol,
      hostname: l.hostname ?? null,
      tls: l.tls ? { mode: l.tls.mode, certificates: certificates(cat, sink, gw, l, i) } : null,
      routes: routeTable(routes.listeners.get(listenerKey(gw.qualifiedName, l.name))),
      tcpRoutes: sortStreamRoutes(routes.streams.get(listenerKey(gw.qualifiedName, l.name)) ?? []),
      clientTraffic: clientTraffic.get(listenerKey(gw.qualifiedName, l.name)) ?? null,
    }))
    if (sink.hasErrors(gw.source)) continue
    out.push({ name: gw.qualifiedName, listeners: listeners.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) })
  }
  return out
}
