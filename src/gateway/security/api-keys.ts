// API keys, stored hashed. The keys file (YAML or JSON) lists consumers and the SHA-256 of their keys:
//
//   keys:
//     - { name: alice, sha256: 4c7a…e1 }     # `trellis apikey hash` prints the sha256 of a key
//
// A presented key is hashed and compared with every entry in constant time (timingSafeEqual, no
// early exit), so neither the keys nor the file's order leak through timing. A name may appear
// more than once (a consumer rotating keys); the same hash under two names is an error.
import { createHash, timingSafeEqual } from 'node:crypto'
import { parse } from 'yaml'
import { isConsumerName } from './consumer-name.js'
import { WatchedFile } from './watched-file.js'

export interface ApiKeyEntry { readonly name: string; readonly digest: Buffer }

const HEX_SHA256 = /^[0-9a-f]{64}$/
const MAX_KEY_LENGTH = 4096

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** The entries of a keys file; throws with the first problem (entry index and field). */
export function parseKeysFile(text: string): ApiKeyEntry[] {
  const doc = parse(text) as { keys?: unknown } | null
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.keys)) throw new Error('expected a mapping with a "keys" list')
  const out: ApiKeyEntry[] = []
  const byHash = new Map<string, string>()
  doc.keys.forEach((e: unknown, i: number) => {
    const entry = e as { name?: unknown; sha256?: unknown } | null
    if (typeof entry !== 'object' || entry === null) throw new Error(`keys[${i}]: expected { name, sha256 }`)
    const extra = Object.keys(entry).find(k => k !== 'name' && k !== 'sha256')
    if (extra !== undefined) throw new Error(`keys[${i}].${extra}: unknown field; valid fields: name, sha256`)
    if (!isConsumerName(entry.name)) throw new Error(`keys[${i}].name: expected a name of visible ASCII characters (no spaces)`)
    const hex = typeof entry.sha256 === 'string' ? entry.sha256.toLowerCase() : ''
    if (!HEX_SHA256.test(hex)) throw new Error(`keys[${i}].sha256: expected 64 hex digits (trellis apikey hash prints them)`)
    const other = byHash.get(hex)
    if (other !== undefined && other !== entry.name) throw new Error(`keys[${i}].sha256: the same key is listed for "${other}"`)
    byHash.set(hex, entry.name)
    out.push({ name: entry.name, digest: Buffer.from(hex, 'hex') })
  })
  return out
}

/** The name whose key this is, or null. Every entry is compared, whatever matches. */
export function matchApiKey(entries: readonly ApiKeyEntry[], presented: string): string | null {
  if (presented.length === 0 || presented.length > MAX_KEY_LENGTH) return null
  const digest = createHash('sha256').update(presented, 'utf8').digest()
  let found: string | null = null
  for (let i = 0; i < entries.length; i++) {
    if (timingSafeEqual(entries[i].digest, digest) && found === null) found = entries[i].name
  }
  return found
}

/** A keys file, reloaded when it changes. */
export class ApiKeyStore {
  private readonly file: WatchedFile<ApiKeyEntry[]>

  constructor(path: string, log: (line: string) => void) {
    this.file = new WatchedFile(path, parseKeysFile, log, 'API keys file')
  }

  match(presented: string): string | null { return matchApiKey(this.file.value, presented) }

  get reloads(): number { return this.file.reloads }

  close(): void { this.file.close() }
}
