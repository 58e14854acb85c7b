// What `trellis stat` and `trellis tap` add to a request on a sidecar's inbound side, measured in
// isolation: the plain outcome callback (count by status class, latency bucket) against the
// inbound one (the same, in the caller's series, plus the tap check with no tap running).
// Usage: npm run build && node bench/observe-overhead.mjs
const dist = new URL('../dist/', import.meta.url)
const { ProxyMetrics } = await import(new URL('telemetry/proxy-metrics.js', dist))
const { TapHub } = await import(new URL('telemetry/tap-hub.js', dist))
const { inboundObserver } = await import(new URL('dataplane/build/inbound-observer.js', dist))
const { PEER_IDENTITY } = await import(new URL('dataplane/mtls/peer-identity.js', dist))

const m = new ProxyMetrics()
const plainSeries = m.requestSeries({ listener: 'inbound', route: 'inbound', backend: 'local/app' })
const plain = (status, x) => plainSeries.observe(status, performance.now() - x.startMs)
const inbound = inboundObserver(m.callerSeries({ listener: 'inbound', route: 'inbound', backend: 'local/app' }), new TapHub())
// Three callers, as three mTLS connections would carry them.
const xs = ['web', 'batch', 'gateway-edge'].map(n => ({ req: { socket: { [PEER_IDENTITY]: `spiffe://trellis.local/ns/default/sa/${n}` } }, startMs: performance.now() }))
const N = 5_000_000
const run = fn => { const t = performance.now(); for (let i = 0; i < N; i++) fn(200, xs[i % 3]); return ((performance.now() - t) * 1e6) / N }
for (let round = 0; round < 4; round++) {
  const a = run(plain), b = run(inbound)
  console.log(`round ${round + 1}: plain ${a.toFixed(1)} ns/request, inbound ${b.toFixed(1)} ns/request (+${(b - a).toFixed(1)} ns)`)
}
