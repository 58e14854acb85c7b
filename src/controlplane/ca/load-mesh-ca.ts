// Where the mesh CA lives. A store shared by several control-plane replicas (etcd) holds it, so
// replicas on different machines issue from one root and their proxies accept each other; its
// private key is sealed there with the join key the replicas share (sealed-ca.ts). Any other store
// leaves the CA in the state folder.
import type { Store } from '../store/types.js'
import { CertificateAuthority, createCaPem, readCaFiles, type CaPem } from './certificate-authority.js'
import { openCa, sealCa, SealedCaError, type SharedSecret } from './sealed-ca.js'

export async function loadMeshCa(store: Store, stateDir: string, joinKey: SharedSecret, log: (line: string) => void): Promise<CertificateAuthority> {
  if (!store.sharedCa) return CertificateAuthority.loadOrCreate(stateDir)
  // A CA already in the state folder (an install moving to a shared store) is the one offered, so
  // the proxies it certified keep working. The store is its home from then on: nothing is written here.
  const local = readCaFiles(stateDir)
  let offered = false                    // the store had no CA yet and asked for one
  const offer = async () => { offered = true; return sealCa(local ?? await createCaPem(), joinKey) }
  const pem = openShared(await store.sharedCa(offer), store, stateDir, joinKey)
  if (local && local.certificate !== pem.certificate) {
    log(`mesh CA: adopted the CA another replica stored in ${store.url}; the different CA in ${stateDir} (ca.pem, ca-key.pem) is not used, and proxies it certified get certificates from the shared one when they next register or renew`)
  } else if (local && offered) {
    log(`mesh CA: stored the CA of ${stateDir} in ${store.url}; every replica now issues from it`)
  }
  return CertificateAuthority.fromPem(pem)
}

/** The stored CA, or an error that names the cause and the fix. The stored value is never replaced
 *  by a new CA here: other replicas and their proxies depend on it. */
function openShared(shared: string, store: Store, stateDir: string, joinKey: SharedSecret): CaPem {
  try {
    return openCa(shared, joinKey)
  } catch (err) {
    if (!(err instanceof SealedCaError)) throw err
    const kept = 'The stored CA was left as it is and no new CA was made.'
    const message = err.reason === 'cannot-open'
      ? `mesh CA: the join key of this replica (${stateDir}/join-key) cannot open the CA key stored in ${store.url}: ` +
        'it is not the join key of the replicas that stored it (not copied, or copied from another mesh), or the stored value was modified. ' +
        `Copy join-key (and admin-token) from a running replica's state folder into ${stateDir}, then start again. ${kept}`
      : err.reason === 'unknown-version'
        ? `mesh CA: the CA stored in ${store.url} has ${err.message}, written by a newer Trellis; upgrade this replica. ${kept}`
        : `mesh CA: the CA stored in ${store.url} is not a Trellis mesh CA (${err.message}). ${kept}`
    throw new Error(message, { cause: err })
  }
}
