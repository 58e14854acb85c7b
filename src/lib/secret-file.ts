// Secrets in a state folder (admin token, join key, CA key): read only when they hold something,
// written whole and owner-only. A write goes to a new temp file (mode 0600 from its creation),
// is synced, then renamed over the target: a crash or a full disk never leaves the secret empty or
// torn, and a file that was there before (maybe readable by others) never receives it.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** The file's text as it is; null when it is missing or holds nothing but whitespace. */
export function readSecretFile(path: string): string | null {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  return text.trim() ? text : null
}

export function writeSecretFile(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`
  rmSync(tmp, { force: true })
  const fd = openSync(tmp, 'wx', mode)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
  const dir = openSync(dirname(path), 'r')
  try { fsyncSync(dir) } finally { closeSync(dir) }
}
