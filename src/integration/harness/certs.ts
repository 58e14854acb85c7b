// Self-signed test certificates made with the openssl CLI in a temp folder (P-256 keys, 1 day).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestCert { readonly certFile: string; readonly keyFile: string; readonly cert: Buffer; readonly key: Buffer }

/** `name`.pem and `name`-key.pem in `dir`, for CN `cn` with `hosts` as DNS subjectAltNames (default: cn). */
export function makeCert(dir: string, name: string, cn: string, hosts: readonly string[] = [cn], org = 'trellis-test'): TestCert {
  const certFile = join(dir, `${name}.pem`), keyFile = join(dir, `${name}-key.pem`)
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${cn}/O=${org}`,
    '-addext', `subjectAltName=${hosts.map(h => `DNS:${h}`).join(',')}`,
  ], { stdio: 'ignore', timeout: 20_000 })
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) }
}
