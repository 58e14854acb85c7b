// Evaluates an AuthorizationIR per request: DENY rules first, then, when any ALLOW policy applies,
// the request must match one ALLOW rule. Built once per snapshot; `check` allocates nothing for a
// path without a trailing slash or upper-case letters.
import { asciiLower } from '../../lib/ascii-lower.js'
import type { AuthorizationIR, AuthzRequestMatchIR, AuthzRuleIR } from '../../ir/authorization.js'

export class Authorizer {
  private readonly deny: readonly AuthzRuleIR[]
  private readonly allow: readonly AuthzRuleIR[] | null
  private readonly names: string

  constructor(ir: AuthorizationIR) {
    this.deny = ir.deny
    this.allow = ir.allow
    this.names = ir.policies.join(', ')
  }

  /**
   * Null when allowed, else why not. `identity`: the caller as proven (null: none); `method` and
   * `path` (the normalized path) are null for a TCP connection: there, an ALLOW rule with `to` never
   * matches and a DENY rule ignores its `to` — either way the stricter reading.
   */
  check(identity: string | null, method: string | null, path: string | null): string | null {
    const p = path === null ? null : comparablePath(path)
    for (let i = 0; i < this.deny.length; i++) {
      if (ruleMatches(this.deny[i], identity, method, p, true)) return `denied by AuthorizationPolicy ${this.names}`
    }
    if (this.allow === null) return null
    for (let i = 0; i < this.allow.length; i++) if (ruleMatches(this.allow[i], identity, method, p, false)) return null
    return `not allowed by AuthorizationPolicy ${this.names}`
  }
}

function ruleMatches(rule: AuthzRuleIR, identity: string | null, method: string | null, path: string | null, deny: boolean): boolean {
  if (rule.identities !== null && (identity === null || !identityMatches(rule.identities, identity))) return false
  if (rule.to === null || (deny && method === null && path === null)) return true
  for (let i = 0; i < rule.to.length; i++) if (requestMatches(rule.to[i], method, path)) return true
  return false
}

function identityMatches(patterns: readonly string[], identity: string): boolean {
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i]
    if (p.charCodeAt(p.length - 1) === 42 /* * */ ? sharesPrefix(identity, p, p.length - 1) : identity === p) return true
  }
  return false
}

function requestMatches(m: AuthzRequestMatchIR, method: string | null, path: string | null): boolean {
  if (m.methods !== null && (method === null || !m.methods.includes(method))) return false
  if (m.paths === null) return true
  if (path === null) return false
  for (let i = 0; i < m.paths.length; i++) if (pathMatches(m.paths[i], path)) return true
  return false
}

/** `pattern` is lower-case without a trailing slash (compiled); `/x/*` matches below /x at any depth,
 *  and any other `…*` is a plain prefix (`/admin*`: /admin, /admin/x, /administrator), as in Istio. */
export function pathMatches(pattern: string, path: string): boolean {
  const n = pattern.length
  if (pattern.charCodeAt(n - 1) !== 42 /* * */) return path === pattern
  if (n === 1) return true
  if (pattern.charCodeAt(n - 2) === 47 /* / */) return path.length > n - 1 && sharesPrefix(path, pattern, n - 1)
  return sharesPrefix(path, pattern, n - 1)
}

/** Whether `s` starts with the first `n` characters of `pattern` (without slicing a new string). */
function sharesPrefix(s: string, pattern: string, n: number): boolean {
  if (s.length < n) return false
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== pattern.charCodeAt(i)) return false
  return true
}

/** ASCII lower case, one trailing slash dropped (but "/" stays). */
function comparablePath(path: string): string {
  let p = path
  if (p.length > 1 && p.charCodeAt(p.length - 1) === 47) p = p.slice(0, -1)
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i)
    if (c >= 65 && c <= 90) return asciiLower(p)
  }
  return p
}


/** A Gateway's caller as policies name it: `gateway:<consumer>` once authenticated, else `anonymous`. */
export function edgeCaller(consumer: string | null): string {
  return consumer === null ? 'anonymous' : `gateway:${consumer}`
}

/** Authorizers by route name, for a route table's build context. */
export function routeAuthorizers(byRoute: Readonly<Record<string, AuthorizationIR>>): Map<string, Authorizer> {
  return new Map(Object.entries(byRoute).map(([route, ir]) => [route, new Authorizer(ir)]))
}
