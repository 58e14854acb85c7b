// How long-running commands end: on SIGTERM or SIGINT, or when the `trellis up` that started them
// is gone (so no proxy outlives it), they run their graceful stop once, then exit 0.
export function stopOnSignal(stop: () => Promise<unknown>, parentPid?: string): void {
  let stopping = false
  const run = () => {
    if (stopping) return
    stopping = true
    void stop().finally(() => process.exit(0))
  }
  process.once('SIGTERM', run)
  process.once('SIGINT', run)
  const parent = parentPid ? Number(parentPid) : 0
  if (!parent) return
  const timer = setInterval(() => {
    try { process.kill(parent, 0) } catch { clearInterval(timer); run() }
  }, 1000)
  timer.unref()
}
