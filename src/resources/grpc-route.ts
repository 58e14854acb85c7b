// GRPCRoute (gateway.networking.k8s.io/v1): routes by gRPC service/method and headers.
import { backendRefWithFilters, hostnamesField, parentRefsField, ruleName } from './gateway-api-refs.js'
import { checkFilterList, filterSchema, type RouteFilter } from './http-filters.js'
import { grpcMatchSchema } from './http-matches.js'
import { GATEWAY_V1, registerKind } from './registry.js'
import { obj } from './schema-object.js'
import { def, list, refine, type Infer } from './schema.js'

export const grpcFilter = filterSchema(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'])
const grpcBackendRef = refine(backendRefWithFilters(grpcFilter), (b, path, issues) =>
  checkFilterList(b.filters as RouteFilter[], [...path, 'filters'], issues))

export const grpcRuleSchema = refine(obj({
  name: ruleName(),
  matches: def(list(grpcMatchSchema, { max: 64 }), []),
  filters: def(list(grpcFilter, { max: 16 }), []),
  backendRefs: def(list(grpcBackendRef, { max: 16 }), []),
}), (rule, path, issues) => checkFilterList(rule.filters as RouteFilter[], [...path, 'filters'], issues))

export const grpcRouteSpec = obj({
  parentRefs: parentRefsField(),
  hostnames: hostnamesField(),
  rules: def(list(grpcRuleSchema, { max: 16 }), [{ matches: [], filters: [], backendRefs: [] }]),
})
export type GRPCRouteSpec = Infer<typeof grpcRouteSpec>
export type GRPCRule = Infer<typeof grpcRuleSchema>

registerKind({ kind: 'GRPCRoute', apiVersion: GATEWAY_V1, spec: grpcRouteSpec })
