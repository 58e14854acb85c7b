// A proxy's mesh identity: an EC P-256 key pair made in this process (the private key never leaves
// it) and the certificate the control plane issued for it. Every TLS connection made or accepted
// after an install uses the new certificate; connections already open keep theirs. The roots to
// trust are every CA certificate received in this process's life (a few at most), so peers that
// still hold a certificate from a replaced CA are accepted until they renew.
import { createSecureContext, type SecureContext } from 'node:tls'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { spiffeIdOf } from './peer-identity.js'
import type { IssuedCertificate } from '../../identity/issued-certificate.js'

const MAX_ROOTS = 4

export class MeshCertificate {
  readonly publicKeyPem: string
  private readonly keyPem: string
  private roots: string[] = []
  private readonly listeners = new Set<() => void>()
  /** Null until the first certificate is installed. */
  context: SecureContext | null = null
  certificatePem = ''
  identity = ''
  serial = ''
  notBefore = 0
  notAfter = 0

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    this.keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  }

  get ready(): boolean { return this.context !== null }

  /** Installs an issued certificate after checking it is for this key and names a SPIFFE ID. */
  install(issued: Pick<IssuedCertificate, 'certificate' | 'caCertificates'>): void {
    const cert = new X509Certificate(issued.certificate)
    if (cert.publicKey.export({ type: 'spki', format: 'pem' }) !== this.publicKeyPem) throw new Error('issued certificate is not for this proxy\'s key')
    const identity = spiffeIdOf(cert.subjectAltName)
    if (!identity) throw new Error('issued certificate names no SPIFFE ID')
    const roots = [...issued.caCertificates.map(p => p.trim() + '\n'), ...this.roots]
    this.roots = [...new Set(roots)].slice(0, MAX_ROOTS)
    this.context = createSecureContext({ key: this.keyPem, cert: issued.certificate, ca: this.roots })
    this.certificatePem = issued.certificate
    this.identity = identity
    this.serial = cert.serialNumber
    this.notBefore = Date.parse(cert.validFrom)
    this.notAfter = Date.parse(cert.validTo)
    for (const fn of this.listeners) fn()
  }

  /** Key, certificate and roots, for servers that take options rather than a context. */
  serverOptions(): { key: string; cert: string; ca: string[] } {
    return { key: this.keyPem, cert: this.certificatePem, ca: this.roots }
  }

  /** When to ask for the next certificate: half-way through this one's life. */
  renewInMs(now: number): number {
    return Math.max(1000, this.notBefore + (this.notAfter - this.notBefore) / 2 - now)
  }

  /** What an admin port shows of it (never the key). */
  view(): { identity: string; serial: string; notBefore: string; notAfter: string } | null {
    if (!this.ready) return null
    return { identity: this.identity, serial: this.serial, notBefore: new Date(this.notBefore).toISOString(), notAfter: new Date(this.notAfter).toISOString() }
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }
}
