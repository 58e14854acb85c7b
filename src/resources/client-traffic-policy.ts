// ClientTrafficPolicy: how a listener treats its clients (size limits, timeouts, client IP, path rules).
import { MAX_COUNT, MAX_HEAD_BYTES, MAX_HEADER_COUNT, MAX_STREAM_BYTES } from './bounds.js'
import { checkTargets, targetFields } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import { bool, duration, int, opt, refine, type Infer } from './schema.js'

/** HTTP/2 settings are 32-bit; Node throws on a larger one when a connection opens. */
const MAX_HTTP2_SETTING = 2 ** 32 - 1

export const clientTrafficPolicySpec = refine(obj({
  ...targetFields(['Gateway', 'Service']),
  limits: opt(obj({
    maxRequestHeadersBytes: opt(int(1, MAX_HEAD_BYTES)),
    maxRequestHeaders: opt(int(1, MAX_HEADER_COUNT)),
    maxUrlBytes: opt(int(1, MAX_HEAD_BYTES)),
    maxRequestBodyBytes: opt(int(0, MAX_STREAM_BYTES)),
    maxConnections: opt(int(1, MAX_COUNT)),
    http2MaxConcurrentStreams: opt(int(1, MAX_HTTP2_SETTING)),
  })),
  timeouts: opt(obj({ requestHeaders: opt(duration()), idle: opt(duration()), request: opt(duration()) })),
  clientIP: opt(obj({ trustedHops: int(0, 64) })),
  paths: opt(obj({ allowEncodedSlashes: opt(bool()), allowBackslashes: opt(bool()), allowSemicolons: opt(bool()) })),
}), checkTargets)
export type ClientTrafficPolicySpec = Infer<typeof clientTrafficPolicySpec>

registerKind({ kind: 'ClientTrafficPolicy', apiVersion: TRELLIS_V1ALPHA1, spec: clientTrafficPolicySpec })
