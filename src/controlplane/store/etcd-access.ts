// What a replica needs to reach a secured etcd besides its URL: the CA to trust and a client
// certificate (mutual TLS), read from files named on the command line, and the password of the
// URL's user, read from TRELLIS_ETCD_PASSWORD so it never shows in `ps` or shell history.
import { readFileSync } from 'node:fs'
import type { EtcdTarget } from './etcd-url.js'

export const ETCD_PASSWORD_ENV = 'TRELLIS_ETCD_PASSWORD'

export interface EtcdAccess {
  /** PEM; absent: the system's CAs. */
  readonly ca?: Buffer
  /** PEM client certificate (chain) and its key, for etcd's --client-cert-auth. */
  readonly cert?: Buffer
  readonly key?: Buffer
  readonly password?: string
}

export interface EtcdAccessFiles { readonly ca?: string; readonly cert?: string; readonly key?: string }

/** Reads the files and the password; throws a message naming the option at fault. */
export function readEtcdAccess(target: EtcdTarget, files: EtcdAccessFiles, env: NodeJS.ProcessEnv = process.env): EtcdAccess {
  if (!target.tls && (files.ca || files.cert || files.key)) throw new Error(`--etcd-ca, --etcd-cert and --etcd-key need a TLS store (etcds://…), not ${target.url}`)
  if (!files.cert !== !files.key) throw new Error('--etcd-cert and --etcd-key go together: give both (mutual TLS) or neither')
  const password = target.user ? env[ETCD_PASSWORD_ENV] : undefined
  if (target.user && !password) throw new Error(`the etcd store ${target.url} names user "${target.user}": set its password in the environment variable ${ETCD_PASSWORD_ENV}`)
  return { ca: read('--etcd-ca', files.ca), cert: read('--etcd-cert', files.cert), key: read('--etcd-key', files.key), password }
}

function read(flag: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined
  try { return readFileSync(file) } catch (err) { throw new Error(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`) }
}
