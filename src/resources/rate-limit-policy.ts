// RateLimitPolicy: token buckets per consumer, client IP or header, local or shared through Redis.
import { MAX_RATE_LIMIT_REQUESTS } from './bounds.js'
import { checkTargets, targetFields } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { def, duration, int, list, refine, str, type Infer } from './schema.js'

const limitKey = () => str({
  pattern: /^(consumer|ip|header:[A-Za-z0-9!#$%&'*+\-.^_`|~]+)$/, describe: 'consumer, ip or header:<name>',
})

export const rateLimitPolicySpec = refine(obj({
  ...targetFields(['Gateway', 'HTTPRoute', 'Service']),
  limits: list(obj({
    key: limitKey(),
    requests: int(1, MAX_RATE_LIMIT_REQUESTS),
    per: refine(duration(), (ms, path, issues) => {
      if (ms <= 0) issues.error(path, 'INVALID_VALUE', 'must be longer than 0s', 'use a duration such as "1s" or "1m"')
    }),
  }), { min: 1 }),
  store: def(str({ pattern: /^(local|redis:\/\/[^\s/]+(\/\d+)?)$/, describe: 'local or redis://HOST:PORT' }), 'local'),
}), checkTargets)
export type RateLimitPolicySpec = Infer<typeof rateLimitPolicySpec>

registerKind({ kind: 'RateLimitPolicy', apiVersion: TRELLIS_V1ALPHA1, spec: rateLimitPolicySpec })
