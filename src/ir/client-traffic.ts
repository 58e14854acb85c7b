// How a listener treats its clients (ClientTrafficPolicy), with every default filled in.
// Attached to a Gateway listener or to a Service's inbound side; null there means DEFAULT_CLIENT_TRAFFIC.

export interface ClientTrafficIR {
  readonly maxRequestHeadersBytes: number     // 431 past it
  readonly maxRequestHeaders: number          // 431 past it
  readonly maxUrlBytes: number                // 414 past it
  readonly maxRequestBodyBytes: number        // 413 past it, counted while streaming; 0 = unlimited
  readonly maxConnections: number
  readonly http2MaxConcurrentStreams: number
  readonly requestHeadersTimeoutMs: number    // 0 = none
  readonly idleTimeoutMs: number              // 0 = none
  readonly requestTimeoutMs: number           // 0 = none
  readonly trustedHops: number                // X-Forwarded-For hops trusted; 0 = the socket peer is the client
  readonly allowEncodedSlashes: boolean
  readonly allowBackslashes: boolean
  readonly allowSemicolons: boolean
}

export const DEFAULT_CLIENT_TRAFFIC: ClientTrafficIR = {
  maxRequestHeadersBytes: 61440,
  maxRequestHeaders: 100,
  maxUrlBytes: 8192,
  maxRequestBodyBytes: 0,
  maxConnections: 10000,
  http2MaxConcurrentStreams: 100,
  requestHeadersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 0,
  trustedHops: 0,
  allowEncodedSlashes: false,
  allowBackslashes: false,
  allowSemicolons: false,
}
