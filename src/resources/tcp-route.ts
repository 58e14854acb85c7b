// TCPRoute (gateway.networking.k8s.io/v1alpha2): TCP listeners → weighted Services.
import { backendRefSchema, parentRefsField, ruleName } from './gateway-api-refs.js'
import { GATEWAY_V1ALPHA2, registerKind } from './registry.js'
import { obj } from './schema-object.js'
import { list, type Infer } from './schema.js'

export const streamRuleSchema = obj({ name: ruleName(), backendRefs: list(backendRefSchema(), { min: 1, max: 16 }) })

export const tcpRouteSpec = obj({
  parentRefs: parentRefsField(),
  rules: list(streamRuleSchema, { min: 1, max: 16 }),
})
export type TCPRouteSpec = Infer<typeof tcpRouteSpec>

registerKind({ kind: 'TCPRoute', apiVersion: GATEWAY_V1ALPHA2, spec: tcpRouteSpec })
