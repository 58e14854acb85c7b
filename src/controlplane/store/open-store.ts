import { resolve } from 'node:path'
import { FileStore } from './file-store.js'
import { MemoryStore } from './memory-store.js'
import { EtcdStore } from './etcd-store.js'
import type { Store } from './types.js'

/** `memory`, `file:DIR`, or `etcd://HOST:PORT[,…]` (shared by several control-plane replicas). */
export function openStore(url: string, stateDir: string): Store {
  if (url === 'memory') return new MemoryStore()
  if (url.startsWith('file:')) return new FileStore(resolve(url.slice(5) || stateDir))
  if (url.startsWith('etcd://')) return EtcdStore.fromUrl(url)
  throw new Error(`unsupported store "${url}"; use memory, file:DIR or etcd://HOST:PORT[,HOST:PORT…]`)
}
