// AuthorizationPolicy: which callers may reach a Service, Gateway or HTTPRoute (ALLOW / DENY rules).
import { checkTargets, nonEmpty, targetFields } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { def, list, oneOf, opt, refine, str, type Infer } from './schema.js'

const method = () => str({ pattern: /^[A-Z]+$/, describe: 'an HTTP method in upper case such as GET' })
// A `*` only at the end: anywhere else it would be compared literally and the rule would never match.
const pathPattern = () => str({ pattern: /^(\/[^\s*]*\*?|\*)$/, describe: 'a path starting with "/" (ending in "/*" for a subtree, or in "*" for a prefix) or "*"' })

export const authorizationPolicySpec = refine(obj({
  ...targetFields(['Service', 'Gateway', 'HTTPRoute']),
  action: def(oneOf(['ALLOW', 'DENY']), 'ALLOW'),
  rules: def(list(obj({
    from: opt(list(obj({ identities: list(nonEmpty(), { min: 1 }) }))),
    to: opt(list(obj({ methods: opt(list(method())), paths: opt(list(pathPattern())) }))),
  })), []),
}), checkTargets)
export type AuthorizationPolicySpec = Infer<typeof authorizationPolicySpec>

registerKind({ kind: 'AuthorizationPolicy', apiVersion: TRELLIS_V1ALPHA1, spec: authorizationPolicySpec })
