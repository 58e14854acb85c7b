// Node flags for proxy processes. A proxy's garbage is almost all short-lived per-request objects,
// and under load V8 grows the young generation to its maximum whatever the allocation rate, so the
// maximum is what a proxy keeps after load: a 2 MB semi-space (V8's default grows to 16 MB) keeps
// RSS after load near the idle size. It costs a few more scavenges, paid for by the hot path's
// smaller garbage per request (docs/performance.md, "(e) memory").
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2']
