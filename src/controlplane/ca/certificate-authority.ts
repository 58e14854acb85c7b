// The mesh's certificate authority: one EC P-256 key and self-signed root, kept in the state folder
// (key 0600) or, when control-plane replicas share a store, in the store (load-mesh-ca.ts). It
// issues short-lived X.509 SVIDs: the SPIFFE ID as the only URI SAN, usable for both ends of an mTLS
// connection. Proxies make their own key pair and send only the public key, so a proxy's private
// key never crosses the network.
import 'reflect-metadata'                      // @peculiar/x509's DI container needs it, before the import below
import * as x509 from '@peculiar/x509'
import { randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { readSecretFile, writeSecretFile } from '../../lib/secret-file.js'
import type { IssuedCertificate } from '../../identity/issued-certificate.js'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const CA_LIFETIME_MS = 10 * 365 * 24 * 3600_000
/** Issued certificates start this much in the past, for clocks slightly behind. */
const BACKDATE_MS = 60_000
const CERT_FILE = 'ca.pem', KEY_FILE = 'ca-key.pem'

/** A CA as text: its root certificate and its PKCS#8 private key, both PEM. */
export interface CaPem { readonly certificate: string; readonly key: string }

export class CertificateAuthority {
  private constructor(private readonly key: CryptoKey, readonly certificatePem: string, private readonly cert: x509.X509Certificate) {}

  /** The CA of a state folder, made on first use. */
  static async loadOrCreate(stateDir: string): Promise<CertificateAuthority> {
    let pem = readCaFiles(stateDir)
    if (!pem) {
      pem = await createCaPem()
      mkdirSync(stateDir, { recursive: true, mode: 0o700 })
      writeSecretFile(join(stateDir, KEY_FILE), pem.key)
      writeSecretFile(join(stateDir, CERT_FILE), pem.certificate, 0o644)
    }
    return CertificateAuthority.fromPem(pem)
  }

  static async fromPem(pem: CaPem): Promise<CertificateAuthority> {
    const key = await webcrypto.subtle.importKey('pkcs8', pemBody(pem.key), ALG, false, ['sign'])
    return new CertificateAuthority(key as CryptoKey, pem.certificate, new x509.X509Certificate(pem.certificate))
  }

  /** A certificate for `spiffeId` over the proxy's public key (SPKI PEM, EC P-256). */
  async issue(publicKeyPem: string, spiffeId: string, ttlMs: number, now = Date.now()): Promise<IssuedCertificate> {
    let publicKey: CryptoKey
    try {
      publicKey = await webcrypto.subtle.importKey('spki', pemBody(publicKeyPem), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']) as CryptoKey
    } catch {
      throw new Error('publicKey must be an EC P-256 public key in SPKI PEM')
    }
    const notBefore = new Date(now - BACKDATE_MS), notAfter = new Date(now + ttlMs)
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(), subject: 'O=Trellis', issuer: this.cert.subject, publicKey, signingKey: this.key, signingAlgorithm: ALG,
      notBefore, notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    })
    const pem = cert.toString('pem') + '\n'
    return { certificate: pem, caCertificates: [this.certificatePem], serial: new NodeX509(pem).serialNumber, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() }
  }
}

/** The CA in a state folder, or null if it has none (or only part of one: a first start cut short). */
export function readCaFiles(stateDir: string): CaPem | null {
  const certificate = readSecretFile(join(stateDir, CERT_FILE)), key = readSecretFile(join(stateDir, KEY_FILE))
  return certificate && key ? { certificate, key } : null
}

/** A new CA: a fresh key and its self-signed root. */
export async function createCaPem(): Promise<CaPem> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: 'CN=Trellis mesh CA, O=Trellis', keys, signingAlgorithm: ALG,
    notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + CA_LIFETIME_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey))
  return { certificate: cert.toString('pem') + '\n', key: toPem('PRIVATE KEY', pkcs8) }
}

/** Positive, 128-bit, never starting with a zero byte (so its DER form keeps its length). */
function serial(): string {
  const b = randomBytes(16)
  b[0] = (b[0] & 0x7f) | 0x10
  return b.toString('hex')
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}
