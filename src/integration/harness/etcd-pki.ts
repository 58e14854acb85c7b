// Throwaway PKI for a TLS etcd, made with the openssl CLI: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate, all signed by that CA (P-256 keys, 1 day).
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface EtcdPki {
  readonly caFile: string
  readonly serverCertFile: string; readonly serverKeyFile: string
  readonly clientCertFile: string; readonly clientKeyFile: string
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 })
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

/** A self-signed CA as `name`.pem / `name`-key.pem in `dir`. */
export function makeCa(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.pem`), keyFile = join(dir, `${name}-key.pem`)
  openssl(['req', '-x509', ...EC, '-days', '1', '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  return { certFile, keyFile }
}

function signed(dir: string, name: string, ca: { certFile: string; keyFile: string }, ext: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.pem`), keyFile = join(dir, `${name}-key.pem`)
  const csr = join(dir, `${name}.csr`), extFile = join(dir, `${name}.ext`)
  writeFileSync(extFile, ext)
  openssl(['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`])
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '1', '-out', certFile, '-extfile', extFile])
  return { certFile, keyFile }
}

export function makeEtcdPki(dir: string): EtcdPki {
  const ca = makeCa(dir, 'etcd-ca')
  const server = signed(dir, 'etcd-server', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n')
  const client = signed(dir, 'etcd-client', ca, 'extendedKeyUsage=clientAuth\n')
  return { caFile: ca.certFile, serverCertFile: server.certFile, serverKeyFile: server.keyFile, clientCertFile: client.certFile, clientKeyFile: client.keyFile }
}
