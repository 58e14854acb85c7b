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
