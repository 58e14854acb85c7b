// TLSRoute (gateway.networking.k8s.io/v1alpha2): TLS passthrough by SNI hostname → weighted Services.
import { hostnamesField, parentRefsField } from './gateway-api-refs.js'
import { GATEWAY_V1ALPHA2, registerKind } from './registry.js'
import { obj } from './schema-object.js'
import { list, type Infer } from './schema.js'
import { streamRuleSchema } from './tcp-route.js'

export const tlsRouteSpec = obj({
  parentRefs: parentRefsField(),
  hostnames: hostnamesField(),
  rules: list(streamRuleSchema, { min: 1, max: 16 }),
})
export type TLSRouteSpec = Infer<typeof tlsRouteSpec>

registerKind({ kind: 'TLSRoute', apiVersion: GATEWAY_V1ALPHA2, spec: tlsRouteSpec })
