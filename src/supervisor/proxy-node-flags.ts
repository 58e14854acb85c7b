// Node flags for proxy processes. A proxy's garbage is almost all short-lived per-request objects,
// and under load V8 grows the young generation to its maximum whatever the allocation rate, so the
// maximum is what a proxy keeps after load: a 1 MB semi-space (V8's default grows to 16 MB) keeps
// RSS after load near the idle size. Since the listener's own HTTP/1.1 path cut the garbage per
// request, 1 MB costs no measurable throughput against 2 MB and saves ~1.5 MB per proxy after load
// (docs/performance.md, "(e) memory").
// One V8 helper thread (the default is four): every thread that compiles or marks allocates from
// its own allocator arena, and each arena keeps its high-water mark. With one, PSS after load is
// ~1.5 MB lower (10 sidecars over mTLS), with no cost to throughput or latency the runs can tell.
// A smaller inlining budget per optimized function (300 bytes of bytecode; V8's default is 920):
// when the load changes (a burst ends, callers come and go), V8 re-optimizes part of the request
// path, and each compile job runs on the helper thread, which on a busy core holds the core for up
// to a scheduler tick while the main thread waits. Smaller jobs, and callees optimized on their own
// instead of recompiled inside every caller, cut the first seconds' p99 after a burst by about a
// quarter on two sidecars sharing a core, for ~2 % of one-hop throughput (docs/performance.md,
// "2026-11-27: what the first seconds after a burst are").
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--v8-pool-size=1', '--max-inlined-bytecode-size-cumulative=300']
