// Exits this process when the `trellis up` that started it is gone, so no proxy outlives it.
export function exitWithParent(parentPid: number | undefined, onGone: () => void): void {
  if (!parentPid) return
  const timer = setInterval(() => {
    try { process.kill(parentPid, 0) } catch { clearInterval(timer); onGone() }
  }, 1000)
  timer.unref()
}
