// HTTPRoute (gateway.networking.k8s.io/v1): parents, hostnames and rules of matches, filters, backends.
import { backendRefWithFilters, hostnamesField, parentRefsField, ruleName } from './gateway-api-refs.js'
import { checkFilterList, filterSchema, type RouteFilter } from './http-filters.js'
import { httpMatchSchema, type HTTPMatch } from './http-matches.js'
import { GATEWAY_V1, registerKind } from './registry.js'
import { obj } from './schema-object.js'
import { def, duration, int, list, opt, refine, type Infer, type Issues, type Path } from './schema.js'

export const httpFilter = filterSchema(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror',
  'RequestRedirect', 'URLRewrite', 'ExtensionRef'])
const httpBackendRef = refine(backendRefWithFilters(httpFilter), (b, path, issues) =>
  checkFilterList(b.filters as RouteFilter[], [...path, 'filters'], issues))

const timeouts = refine(obj({ request: opt(duration()), backendRequest: opt(duration()) }), (t, path, issues) => {
  if (t.request && t.backendRequest && t.backendRequest > t.request) {
    issues.error([...path, 'backendRequest'], 'INVALID_VALUE', 'backendRequest must not be longer than request')
  }
})

export const httpRetrySchema = obj({
  codes: opt(list(int(400, 599))),
  attempts: opt(int(0, 100)),
  backoff: opt(duration()),
})

function checkRule(rule: { matches: HTTPMatch[]; filters: RouteFilter[] }, path: Path, issues: Issues): void {
  checkFilterList(rule.filters, [...path, 'filters'], issues)
  rule.filters.forEach((f, i) => {
    const mod = f.urlRewrite?.path ?? f.requestRedirect?.path
    if (mod?.type !== 'ReplacePrefixMatch') return
    const bad = rule.matches.length > 0 && rule.matches.some(m => m.path.type !== 'PathPrefix')
    if (bad) {
      issues.error([...path, 'filters', i], 'INVALID_VALUE', 'ReplacePrefixMatch needs every match of the rule to be a PathPrefix match',
        'use ReplaceFullPath, or PathPrefix matches')
    }
  })
}

export const httpRuleSchema = refine(obj({
  name: ruleName(),
  matches: def(list(httpMatchSchema, { max: 64 }), []),
  filters: def(list(httpFilter, { max: 16 }), []),
  backendRefs: def(list(httpBackendRef, { max: 16 }), []),
  timeouts: opt(timeouts),
  retry: opt(httpRetrySchema),
}), (rule, path, issues) => checkRule(rule as { matches: HTTPMatch[]; filters: RouteFilter[] }, path, issues))

export const httpRouteSpec = obj({
  parentRefs: parentRefsField(),
  hostnames: hostnamesField(),
  rules: def(list(httpRuleSchema, { max: 16 }), [{ matches: [], filters: [], backendRefs: [] }]),
})
export type HTTPRouteSpec = Infer<typeof httpRouteSpec>
export type HTTPRule = Infer<typeof httpRuleSchema>

registerKind({ kind: 'HTTPRoute', apiVersion: GATEWAY_V1, spec: httpRouteSpec })
