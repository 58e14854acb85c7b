// Where the mesh CA lives. A store shared by several control-plane replicas (etcd) holds it, so
// replicas on different machines issue from one root and their proxies accept each other; any other
// store leaves it in the state folder.
import type { Store } from '../store/types.js'
import { CertificateAuthority, createCaPem, readCaFiles } from './certificate-authority.js'

export async function loadMeshCa(store: Store, stateDir: string, log: (line: string) => void): Promise<CertificateAuthority> {
  if (!store.sharedCa) return CertificateAuthority.loadOrCreate(stateDir)
  // A CA already in the state folder (an install moving to a shared store) is the one offered, so
  // the proxies it certified keep working. The store is its home from then on: nothing is written here.
  const local = readCaFiles(stateDir)
  let offered = false                    // the store had no CA yet and asked for one
  const shared = await store.sharedCa(async () => { offered = true; return local ?? await createCaPem() })
  if (local && local.certificate !== shared.certificate) {
    log(`mesh CA: adopted the CA another replica stored in ${store.url}; the different CA in ${stateDir} (ca.pem, ca-key.pem) is not used, and proxies it certified get certificates from the shared one when they next register or renew`)
  } else if (local && offered) {
    log(`mesh CA: stored the CA of ${stateDir} in ${store.url}; every replica now issues from it`)
  }
  return CertificateAuthority.fromPem(shared)
}
