import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadTexts } from '../config/load-texts.js'
import { validateResource } from './index.js'

function check(yaml: string): string[] {
  const [r] = loadTexts([{ file: 'f.yaml', dir: '/d', text: yaml }]).resources
  return validateResource(r).issues.map(i => {
    const { line, col } = r.locate(i.path, i.at)
    return `${line}:${col} ${i.path.join('.')}: ${i.message}${i.hint ? `; ${i.hint}` : ''}`
  })
}

const svc = (spec: string) => `apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: s }\nspec: ${spec}\n`
const tp = (spec: string) => `apiVersion: trellis.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: { name: p }\nspec: ${spec}\n`

const route = (filter: string) => 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r }\nspec:\n' +
  `  parentRefs: [{ kind: Service, name: s }]\n  rules:\n    - filters: [${filter}]\n`

const cases: { name: string; input: string; want: string[] }[] = [
  { name: 'valid service', input: svc('{ port: 80 }'), want: [] },
  {
    name: 'a Gateway of another class is served all the same, with a warning',
    input: 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: g }\nspec:\n  gatewayClassName: istio\n  listeners: [{ name: http, port: 8080, protocol: HTTP }]\n',
    want: ['5:21 spec.gatewayClassName: class "istio" is served by Trellis all the same; leave gatewayClassName out, or write trellis'],
  },
  {
    name: 'a target named twice in targetRefs',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: AuthorizationPolicy\nmetadata: { name: p }\nspec:\n  action: DENY\n  targetRefs:\n    - { kind: Service, name: a }\n    - { kind: Service, name: b }\n    - { kind: Service, name: a }\n  rules: [{ to: [{ paths: [/x] }] }]\n',
    want: ['9:7 spec.targetRefs.2: Service a is already targetRefs[0]; name each target once'],
  },
  {
    name: 'integer range with the value shown',
    input: svc('{ port: eighty }'),
    want: ['4:15 spec.port: expected an integer from 1 to 65535, got "eighty"'],
  },
  {
    name: 'unknown field lists the valid ones',
    input: tp('{ targetRef: { kind: Service, name: s }, retries: { retires: 2 } }'),
    want: ['4:59 spec.retries.retires: unknown field "retires"; valid fields: attempts, perTryTimeout, retryOn, backoff, budget'],
  },
  {
    name: 'enum names every valid value',
    input: tp('{ targetRef: { kind: Service, name: s }, loadBalancer: { type: Roundrobin } }'),
    want: ['4:70 spec.loadBalancer.type: "Roundrobin" is not valid; use one of RoundRobin, Random, LeastRequest, EWMA, RingHash'],
  },
  {
    name: 'policy without a target',
    input: tp('{ timeout: 1s }'),
    want: ['4:1 spec.targetRef: missing required field "targetRef"; name what the policy attaches to, e.g. { kind: Service, name: payments }'],
  },
  {
    name: 'hashOn only with RingHash',
    input: tp('{ targetRef: { kind: Service, name: s }, loadBalancer: { type: EWMA, hashOn: { header: x } } }'),
    want: ['4:76 spec.loadBalancer.hashOn: hashOn is only used with type RingHash'],
  },
  {
    name: 'connectionPool: the surplus timeout cannot exceed the warm one',
    input: tp('{ targetRef: { kind: Service, name: s }, connectionPool: { idleTimeout: 2s, surplusIdleTimeout: 5s } }'),
    want: ['4:103 spec.connectionPool.surplusIdleTimeout: surplusIdleTimeout must not be above idleTimeout'],
  },
  {
    name: 'connectionPool: an idle timeout of 0s is refused (100ms to 24h)',
    input: tp('{ targetRef: { kind: Service, name: s }, connectionPool: { idleTimeout: 0s } }'),
    want: ['4:79 spec.connectionPool.idleTimeout: idleTimeout must be from 100ms to 24h'],
  },
  {
    name: 'connectionPool: a surplus timeout past a timer\'s range is refused',
    input: tp('{ targetRef: { kind: Service, name: s }, connectionPool: { idleTimeout: 100h, surplusIdleTimeout: 25h } }'),
    want: ['4:79 spec.connectionPool.idleTimeout: idleTimeout must be from 100ms to 24h'],
  },
  {
    name: 'a duration past the longest timer is refused (it would fire at once)',
    input: tp('{ targetRef: { kind: Service, name: s }, timeout: 1000h }'),
    want: ['4:57 spec.timeout: "1000h" is too long; use at most 596h (the longest timer)'],
  },
  {
    name: 'the longest timer itself is a valid duration',
    input: tp('{ targetRef: { kind: Service, name: s }, timeout: 596h }'),
    want: [],
  },
  {
    name: 'a duration that rounds to 0ms is refused, not read as none',
    input: tp('{ targetRef: { kind: Service, name: s }, timeout: 0.1ms }'),
    want: ['4:57 spec.timeout: "0.1ms" is shorter than 1ms; use at least 1ms, or 0s for none'],
  },
  {
    name: 'http2MaxConcurrentStreams above HTTP/2\'s 32-bit setting is refused (the listener would throw)',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: { name: c }\nspec:\n  targetRef: { kind: Gateway, name: g }\n  limits: { http2MaxConcurrentStreams: 4294967296 }\n',
    want: ['6:40 spec.limits.http2MaxConcurrentStreams: expected an integer from 1 to 4294967295, got 4294967296'],
  },
  {
    name: 'a header value with a line break is refused (it cannot be sent)',
    input: route('{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-env, value: "prod\\r\\nx-evil: 1" }] } }'),
    want: ['7:101 spec.rules.0.filters.0.requestHeaderModifier.set.0.value: "prod\\r\\nx-evil: 1" is not valid; use a header value without control characters such as line breaks'],
  },
  {
    name: 'a header value may hold a tab',
    input: route('{ type: ResponseHeaderModifier, responseHeaderModifier: { add: [{ name: x-a, value: "a\\tb" }] } }'),
    want: [],
  },
  {
    name: 'a redirect path with a line break is refused (it would go into Location)',
    input: route('{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: "/a\\nb" } } }'),
    want: ['7:109 spec.rules.0.filters.0.requestRedirect.path.replaceFullPath: "/a\\nb" is not valid; use a path starting with "/", without spaces or control characters'],
  },
  {
    name: 'allowedRoutes from: Selector needs a selector (as in the Gateway API)',
    input: 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: g }\nspec:\n  listeners:\n    - { name: h, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: Selector } } }\n',
    want: ['6:81 spec.listeners.0.allowedRoutes.namespaces.from: from: Selector needs a selector; give selector: { matchLabels: { … } }, or use from: All or Same'],
  },
  {
    name: 'metadata name must be a DNS label',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: Service\nmetadata: { name: Orders }\nspec: { port: 80 }\n',
    want: ['3:19 metadata.name: "Orders" is not valid; use a name of lower-case letters, digits and "-" (at most 63, starting and ending with a letter or digit)'],
  },
  {
    name: 'Mesh spec is optional',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: Mesh\nmetadata: { name: default }\n',
    want: [],
  },
  {
    name: 'HTTPS listener needs tls',
    input: 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: g }\nspec:\n  listeners: [{ name: h, port: 443, protocol: HTTPS }]\n',
    want: ['5:15 spec.listeners.0.tls: missing required field "tls" for protocol HTTPS; give tls: { mode: Terminate, certificateRefs: [{ name: <Certificate> }] }'],
  },
  {
    name: 'CORS wildcard with credentials',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: { name: s }\nspec:\n  targetRef: { kind: Gateway, name: g }\n  cors: { allowOrigins: ["*"], allowCredentials: true }\n',
    want: ['6:25 spec.cors.allowOrigins: "*" cannot be used with allowCredentials: true; list the allowed origins'],
  },
  {
    name: 'an empty audiences list, which no token could pass',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: { name: s }\nspec:\n  targetRef: { kind: Gateway, name: g }\n  jwt: { providers: [{ name: p, issuer: https://idp, audiences: [], jwks: { file: k.json } }] }\n',
    want: ['6:65 spec.jwt.providers.0.audiences: must not be empty; leave audiences out to accept a token for any audience, or list the accepted ones'],
  },
  {
    name: 'a JWKS URL with a user and password, which fetch refuses and a log would show',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: { name: s }\nspec:\n  targetRef: { kind: Gateway, name: g }\n  jwt: { providers: [{ name: p, issuer: https://idp, jwks: { url: "https://u:secret@idp/keys" } }] }\n',
    want: ['6:67 spec.jwt.providers.0.jwks.url: a user or password in the URL is not supported; serve the key set without credentials in its URL'],
  },
  {
    name: 'rate limit keys',
    input: 'apiVersion: trellis.dev/v1alpha1\nkind: RateLimitPolicy\nmetadata: { name: r }\nspec:\n  targetRef: { kind: Gateway, name: g }\n  limits: [{ key: user, requests: 1, per: 1s }]\n',
    want: ['6:19 spec.limits.0.key: "user" is not valid; use consumer, ip or header:<name>'],
  },
]

for (const c of cases) {
  test(`validateResource: ${c.name}`, () => {
    assert.deepEqual(check(c.input), c.want)
  })
}
