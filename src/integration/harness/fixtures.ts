// Config documents for tests, so each test states only what matters to it.
const API = 'apiVersion: trellis.dev/v1alpha1'

/** A Service on port 80 selecting `app: <name>` unless `selector` says otherwise; `spec` adds fields. */
export function service(name: string, opts: { selector?: string; spec?: string } = {}): string {
  const selector = opts.selector ?? `app: ${name}`
  return `${API}\nkind: Service\nmetadata: { name: ${name} }\nspec: { port: 80, selector: { ${selector} }${opts.spec ? `, ${opts.spec}` : ''} }\n`
}

/** A Workload labelled `app: <name>` plus `labels`; `spec` adds fields; `upstreams` names Services. */
export function workload(name: string, opts: { labels?: string; spec?: string; upstreams?: readonly string[] } = {}): string {
  const labels = `app: ${name}${opts.labels ? `, ${opts.labels}` : ''}`
  const ups = opts.upstreams?.length ? `, upstreams: [${opts.upstreams.map(u => `{ service: ${u} }`).join(', ')}]` : ''
  return `${API}\nkind: Workload\nmetadata: { name: ${name}, labels: { ${labels} } }\nspec: { command: [x]${opts.spec ? `, ${opts.spec}` : ''}${ups} }\n`
}

/** A TrafficPolicy named after, and attached to, a Service. */
export function trafficPolicy(serviceName: string, spec: string): string {
  return `${API}\nkind: TrafficPolicy\nmetadata: { name: ${serviceName} }\nspec: { targetRef: { kind: Service, name: ${serviceName} }, ${spec} }\n`
}

/** Joins documents into one multi-document YAML text. */
export function docs(...documents: readonly string[]): string {
  return documents.join('---\n')
}

const GATEWAY_API = 'apiVersion: gateway.networking.k8s.io/v1'

/** A Gateway with one HTTP listener `http` on `port`. */
export function gateway(name: string, port: number): string {
  return `${GATEWAY_API}\nkind: Gateway\nmetadata: { name: ${name} }\nspec: { listeners: [{ name: http, port: ${port}, protocol: HTTP }] }\n`
}

/** An HTTPRoute from the named Gateways (or `Service:<name>` parents) to one backend Service, one rule. */
export function httpRoute(name: string, parents: readonly string[], backend: string): string {
  const refs = parents.map(p => (p.startsWith('Service:') ? `{ kind: Service, name: ${p.slice(8)} }` : `{ name: ${p} }`)).join(', ')
  return `${GATEWAY_API}\nkind: HTTPRoute\nmetadata: { name: ${name} }\nspec: { parentRefs: [${refs}], rules: [{ backendRefs: [{ name: ${backend}, port: 80 }] }] }\n`
}

/** Any trellis.dev kind whose spec is written as YAML (block or flow) under `spec:`. */
export function resource(kind: string, name: string, spec: string): string {
  const body = spec.trim().startsWith('{') ? ` ${spec.trim()}` : `\n${spec.replace(/^\n/, '').replace(/\s+$/, '')}`
  return `${API}\nkind: ${kind}\nmetadata: { name: ${name} }\nspec:${body}\n`
}
