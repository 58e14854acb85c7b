// Compiled routing: what a listener needs to pick a rule and its backends.
// Entries are flattened to one per (route, rule, match) and sorted by Gateway API precedence,
// so the data plane only walks a list (or indexes it) and never re-sorts.
import type { QualifiedName } from './common.js'
import type { FaultInjectionIR, RetryIR } from './policy.js'

export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression'
export type ValueMatchType = 'Exact' | 'RegularExpression'

export interface PathMatchIR { readonly type: PathMatchType; readonly value: string }
export interface ValueMatchIR { readonly type: ValueMatchType; readonly name: string; readonly value: string }

export interface HeaderIR { readonly name: string; readonly value: string }
export interface HeaderModifierIR {
  readonly set: readonly HeaderIR[]
  readonly add: readonly HeaderIR[]
  readonly remove: readonly string[]
}

export type FilterIR =
  | { readonly type: 'RequestHeaderModifier'; readonly requestHeaderModifier: HeaderModifierIR }
  | { readonly type: 'ResponseHeaderModifier'; readonly responseHeaderModifier: HeaderModifierIR }
  | { readonly type: 'URLRewrite'; readonly urlRewrite: URLRewriteIR }
  | { readonly type: 'RequestRedirect'; readonly requestRedirect: RequestRedirectIR }
  | { readonly type: 'RequestMirror'; readonly requestMirror: RequestMirrorIR }

export interface PathModifierIR {
  readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch'
  readonly value: string
}
export interface URLRewriteIR { readonly hostname: string | null; readonly path: PathModifierIR | null }
export interface RequestRedirectIR {
  readonly scheme: string | null
  readonly hostname: string | null
  readonly port: number | null
  readonly path: PathModifierIR | null
  readonly statusCode: number             // default 302
}
/** `service` null = the mirror's backendRef names no known Service (mirror is skipped). */
export interface RequestMirrorIR { readonly service: QualifiedName | null; readonly percent: number }

/** A weighted backendRef. `service` null = missing Service or unsupported kind: its share gets 500. */
export interface BackendIR {
  readonly service: QualifiedName | null
  readonly weight: number
  readonly filters: readonly FilterIR[]
}

/**
 * `requestMs` null: the route sets none, so the destination Service's TrafficPolicy `timeout` applies;
 * 0: none at all (`0s` switches the Service's off). `backendRequestMs` 0 = none.
 */
export interface RouteTimeoutsIR { readonly requestMs: number | null; readonly backendRequestMs: number }

export interface RouteEntryIR {
  readonly route: QualifiedName           // the HTTPRoute / GRPCRoute
  readonly rule: number                   // index of the rule in spec.rules
  readonly match: number                  // index of the match in the rule (0 when the rule has none)
  readonly path: PathMatchIR              // default PathPrefix '/'
  readonly method: string | null
  readonly headers: readonly ValueMatchIR[]
  readonly queryParams: readonly ValueMatchIR[]
  readonly filters: readonly FilterIR[]
  readonly backends: readonly BackendIR[]
  readonly timeouts: RouteTimeoutsIR
  readonly retry: RetryIR | null
  readonly fault: FaultInjectionIR | null  // from a TrafficPolicy attached to the route
}

/** Routes for one hostname of a listener. `hostname` is exact, `*.suffix`, or '*' (any). */
export interface HostRoutesIR {
  readonly hostname: string
  readonly entries: readonly RouteEntryIR[]
}

/** A listener's route table: host groups most specific first (exact, longest wildcard, then '*'). */
export interface RouteTableIR { readonly hosts: readonly HostRoutesIR[] }
