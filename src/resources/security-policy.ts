// SecurityPolicy: who may come in from outside at a Gateway or HTTPRoute (JWT, API keys, CORS, audit).
import { MAX_STREAM_BYTES } from './bounds.js'
import { checkTargets, nonEmpty, targetFields } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { bool, def, duration, int, list, opt, refine, str, type Infer } from './schema.js'

// No user or password in a JWKS URL: fetch refuses such a URL, and every log line naming the URL
// would show the password.
const url = () => refine(str({ pattern: /^https?:\/\/\S+$/, describe: 'an http:// or https:// URL' }), (u, path, issues) => {
  if (/^https?:\/\/[^/?#]*@/.test(u)) {
    issues.error(path, 'INVALID_VALUE', 'a user or password in the URL is not supported', 'serve the key set without credentials in its URL')
  }
})
const headerName = () => str({ pattern: /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, describe: 'an HTTP header name' })

/** Headers a claim is never forwarded in: they frame or route the request to the upstream (a claim's
 *  value in Content-Length would split one request into two there), or the mesh itself sets them. */
const NOT_FOR_CLAIMS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer',
  'upgrade', 'http2-settings', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-client-cert',
])
const claimHeader = () => refine(headerName(), (h, path, issues) => {
  const name = h.toLowerCase()
  if (NOT_FOR_CLAIMS.has(name) || name.startsWith('x-trellis-')) {
    issues.error(path, 'INVALID_VALUE', `a claim cannot be forwarded in ${JSON.stringify(h)}: it frames or routes the request, or the mesh sets it`,
      'use a header of your own, such as x-user-email')
  }
})

const jwks = refine(obj({ file: opt(nonEmpty()), url: opt(url()) }), (j, path, issues) => {
  if ((j.file === undefined) === (j.url === undefined)) {
    issues.error(path, 'INVALID_VALUE', 'jwks needs exactly one of file or url')
  }
})

const provider = obj({
  name: nonEmpty(),
  issuer: nonEmpty(),
  audiences: opt(refine(list(nonEmpty()), (a, path, issues) => {
    // An empty list would refuse every token (none has an audience in it), not accept any.
    if (a.length === 0) issues.error(path, 'INVALID_VALUE', 'must not be empty', 'leave audiences out to accept a token for any audience, or list the accepted ones')
  })),
  jwks,
  fromHeaders: opt(list(headerName())),
  fromCookies: opt(list(nonEmpty())),
  clockSkew: opt(duration()),
  claimToHeaders: opt(list(obj({ claim: nonEmpty(), header: claimHeader() }))),
})

const jwt = refine(obj({ providers: list(provider, { min: 1 }), optional: def(bool(), false) }), (j, path, issues) => {
  const seen = new Set<string>()
  j.providers.forEach((p, i) => {
    if (seen.has(p.name)) issues.error([...path, 'providers', i, 'name'], 'DUPLICATE', `provider "${p.name}" is defined twice`)
    seen.add(p.name)
  })
})

/** scheme://host[:port], as a browser sends it in Origin (the compiler lower-cases it and drops a default port). */
const ORIGIN = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)(:\d{1,5})?$/
const corsOrigin = () => refine(str({ pattern: /^(\*|https?:\/\/\S+)$/, describe: 'an origin such as https://app.example.com, or *' }),
  (o, path, issues) => {
    if (o === '*' || (ORIGIN.test(o) && URL.canParse(o))) return
    if (o.includes('*')) {
      issues.error(path, 'INVALID_VALUE', `${JSON.stringify(o)} would never match: origins are compared exactly, and a wildcard inside one is not supported`,
        'list each origin (https://a.example.com, https://b.example.com), or use "*" for any origin')
    } else {
      issues.error(path, 'INVALID_VALUE', `${JSON.stringify(o)} is not an origin, so it would never match`,
        'use scheme://host[:port] as browsers send it, such as https://app.example.com or http://localhost:3000')
    }
  })

const cors = refine(obj({
  allowOrigins: list(corsOrigin()),
  allowMethods: opt(list(str({ pattern: /^([A-Z]+|\*)$/, describe: 'an HTTP method in upper case, or *' }))),
  allowHeaders: opt(list(str({ pattern: /^([A-Za-z0-9!#$%&'*+\-.^_`|~]+|\*)$/, describe: 'an HTTP header name, or *' }))),
  exposeHeaders: opt(list(headerName())),
  allowCredentials: def(bool(), false),
  maxAge: opt(duration()),
}), (c, path, issues) => {
  if (c.allowCredentials && c.allowOrigins.includes('*')) {
    issues.error([...path, 'allowOrigins'], 'INVALID_VALUE', '"*" cannot be used with allowCredentials: true',
      'list the allowed origins')
  }
})

export const securityPolicySpec = refine(obj({
  ...targetFields(['Gateway', 'HTTPRoute']),
  jwt: opt(jwt),
  apiKey: opt(obj({ header: def(headerName(), 'x-api-key'), keysFile: nonEmpty() })),
  cors: opt(cors),
  // Rotation by size: below 1 KiB a file would hold a handful of lines.
  audit: opt(obj({ file: nonEmpty(), maxSizeBytes: opt(int(1024, MAX_STREAM_BYTES)), maxFiles: opt(int(1, 100)) })),
}), checkTargets)
export type SecurityPolicySpec = Infer<typeof securityPolicySpec>

registerKind({ kind: 'SecurityPolicy', apiVersion: TRELLIS_V1ALPHA1, spec: securityPolicySpec })
