import { resolve } from 'node:path'
import { FileStore } from './file-store.js'
import { MemoryStore } from './memory-store.js'
import type { Store } from './types.js'

/** `memory`, `file:DIR`; etcd arrives with the replicated-store work. */
export function openStore(url: string, stateDir: string): Store {
  if (url === 'memory') return new MemoryStore()
  if (url.startsWith('file:')) return new FileStore(resolve(url.slice(5) || stateDir))
  throw new Error(`unsupported store "${url}"; use memory or file:DIR`)
}
