// Shared by the observability tests: a Service `api` (two replicas) called by two workloads, `web`
// and `batch` (own identity), through a mesh route, and by a gateway through an edge route.
import { get } from './http.js'
import type { TestMesh } from './mesh.js'

export const OBSERVE_CONFIG = (gwPort: number) => `
apiVersion: trellis.dev/v1alpha1
kind: Service
metadata: { name: api }
spec: { port: 80, selector: { app: api } }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: [x], replicas: 2 }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: web, labels: { app: web } }
spec: { command: [x], upstreams: [{ service: api }] }
---
apiVersion: trellis.dev/v1alpha1
kind: Workload
metadata: { name: batch, labels: { app: batch } }
spec: { command: [x], upstreams: [{ service: api }], identity: batch-sa }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: api-mesh }
spec:
  parentRefs: [{ kind: Service, name: api }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-api }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
`

export const WEB_ID = 'spiffe://trellis.local/ns/default/sa/web'
export const BATCH_ID = 'spiffe://trellis.local/ns/default/sa/batch-sa'
export const API_ID = 'spiffe://trellis.local/ns/default/sa/api'
export const EDGE_ID = 'spiffe://trellis.local/ns/default/sa/gateway-edge'

/** The admin API of a TestMesh, with its token. */
export async function adminGet(mesh: TestMesh, path: string): Promise<{ status: number; body: any }> {
  const r = await get(`${mesh.url}${path}`, { authorization: `Bearer ${mesh.cp.creds.adminToken}` })
  return { status: r.status, body: r.body ? JSON.parse(r.body) : null }
}

/** Sends `n` GETs one after another and returns their statuses. */
export async function send(url: string, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await get(`${url}/items/${i}?secret=s${i}`)).status)
  return out
}
