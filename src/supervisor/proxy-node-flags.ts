// Node flags for proxy processes. A proxy's garbage is almost all short-lived per-request objects;
// a 4 MB young generation (V8's default grows it to 16 MB per semi-space) keeps RSS after load near
// its idle size at no measured cost in requests per CPU-second (docs/performance.md).
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
