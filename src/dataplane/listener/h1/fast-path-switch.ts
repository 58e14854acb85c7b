// TRELLIS_HTTP1_LISTENER=node serves plain HTTP/1.1 with Node's own server instead of the fast path:
// for comparing the two in benchmarks, and as a way back should a client depend on something the
// fast path does differently. Read once per process.
let enabled: boolean | null = null

export function fastHttp1Enabled(): boolean {
  if (enabled === null) enabled = process.env.TRELLIS_HTTP1_LISTENER !== 'node'
  return enabled
}
