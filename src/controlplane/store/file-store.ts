// Crash-safe persistence in one JSON file: write a temp file, fsync it, rename over the old one,
// fsync the folder. A crash at any point leaves either the old or the new state, never a torn one.
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { Store, StoreState } from './types.js'

const EMPTY: StoreState = { resources: [], instances: [] }

export class FileStore implements Store {
  readonly url: string
  private readonly path: string
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly dir: string) {
    this.url = `file:${dir}`
    this.path = join(dir, 'store.json')
  }

  async load(): Promise<StoreState> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    let text: string
    try { text = await readFile(this.path, 'utf8') } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY
      throw err
    }
    const parsed = parseState(text)
    if (typeof parsed === 'string') {
      // Never start empty over it: the next save would replace the user's config with nothing.
      throw new Error(`the store file ${this.path} ${parsed}; nothing was changed. Restore it from a backup, ` +
        `or move it away to start with an empty config`)
    }
    return parsed
  }

  /** Saves are serialised so an older state never lands after a newer one. */
  save(state: StoreState): Promise<void> {
    const next = this.writing.then(() => this.write(state))
    this.writing = next.catch(() => {})
    return next
  }

  private async write(state: StoreState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const tmp = `${this.path}.tmp`
    const file = await open(tmp, 'w', 0o600)
    try {
      await file.writeFile(JSON.stringify(state))
      await file.sync()
    } finally { await file.close() }
    await rename(tmp, this.path)
    const dir = await open(this.dir, 'r')
    try { await dir.sync() } finally { await dir.close() }
  }

  async close(): Promise<void> { await this.writing }
}

/** The state in a store file, or what is wrong with it. */
function parseState(text: string): StoreState | string {
  if (!text.trim()) return 'is empty'
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch (err) { return `is not valid JSON (${(err as Error).message})` }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'does not hold a JSON object'
  const { resources, instances, version } = parsed as Record<string, unknown>
  if (resources !== undefined && !Array.isArray(resources)) return 'has a "resources" field that is not a list'
  if (instances !== undefined && !Array.isArray(instances)) return 'has an "instances" field that is not a list'
  return {
    resources: (resources ?? []) as StoreState['resources'],
    instances: (instances ?? []) as StoreState['instances'],
    version: typeof version === 'number' ? version : 0,
  }
}
