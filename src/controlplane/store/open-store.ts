import { resolve } from 'node:path'
import { FileStore } from './file-store.js'
import { MemoryStore } from './memory-store.js'
import { EtcdStore } from './etcd-store.js'
import { readEtcdAccess, type EtcdAccessFiles } from './etcd-access.js'
import { ETCD_URL_HINT, isEtcdUrl, parseEtcdUrl } from './etcd-url.js'
import type { Store } from './types.js'

/** `memory`, `file:DIR`, or `etcd[s]://[USER@]HOST:PORT[,…]` (shared by several control-plane
 *  replicas; `etcdFiles` name its TLS files, the password comes from TRELLIS_ETCD_PASSWORD). */
export function openStore(url: string, stateDir: string, etcdFiles: EtcdAccessFiles = {}): Store {
  const etcd = isEtcdUrl(url)
  if (!etcd && (etcdFiles.ca || etcdFiles.cert || etcdFiles.key)) throw new Error('--etcd-ca, --etcd-cert and --etcd-key apply only to an etcds:// store')
  if (url === 'memory') return new MemoryStore()
  if (url.startsWith('file:')) return new FileStore(resolve(url.slice(5) || stateDir))
  if (etcd) {
    const target = parseEtcdUrl(url)
    return new EtcdStore(target, readEtcdAccess(target, etcdFiles))
  }
  throw new Error(`unsupported store "${url}"; use memory, file:DIR or ${ETCD_URL_HINT}`)
}
