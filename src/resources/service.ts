// Service: a named, versionless destination (protocol, port, selector, static endpoints, health check).
import { hostPort, port } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { def, duration, int, list, oneOf, opt, str, strMap, type Infer } from './schema.js'

export const SERVICE_PROTOCOLS = ['http', 'http2', 'grpc', 'tcp'] as const

export const healthCheckSchema = obj({
  path: opt(str({ pattern: /^\//, describe: 'a path starting with "/"' })),
  interval: def(duration(), 5000),
  timeout: def(duration(), 1000),
  unhealthyThreshold: def(int(1, 1000), 3),
  healthyThreshold: def(int(1, 1000), 2),
})

export const serviceSpec = obj({
  protocol: def(oneOf(SERVICE_PROTOCOLS), 'http'),
  port: port(),
  selector: opt(strMap()),
  endpoints: def(list(obj({ address: hostPort(), labels: def(strMap(), {}) })), []),
  healthCheck: opt(healthCheckSchema),
})
export type ServiceSpec = Infer<typeof serviceSpec>

registerKind({ kind: 'Service', apiVersion: TRELLIS_V1ALPHA1, spec: serviceSpec })

