import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CertificateAuthority } from './certificate-authority.js'

const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string

test('the CA is made once per state folder, its key readable by the owner only, and reloaded as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ca-'))
  try {
    const a = await CertificateAuthority.loadOrCreate(dir)
    assert.equal(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600)
    const b = await CertificateAuthority.loadOrCreate(dir)
    assert.equal(b.certificatePem, a.certificatePem)
    const root = new X509Certificate(a.certificatePem)
    assert.equal(root.ca, true)
    // A certificate issued by the reloaded CA verifies against the first one's root.
    const leaf = new X509Certificate((await b.issue(ecKey(), 'spiffe://trellis.local/ns/default/sa/web', 60_000)).certificate)
    assert.ok(leaf.checkIssued(root))
    assert.ok(leaf.verify(root.publicKey))
  } finally { rmSync(dir, { recursive: true, force: true }) }
})

test('an issued certificate carries the SPIFFE ID, the proxy\'s key, both TLS usages and the asked lifetime', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ca-'))
  try {
    const ca = await CertificateAuthority.loadOrCreate(dir)
    const pub = ecKey()
    const now = Date.now()
    const issued = await ca.issue(pub, 'spiffe://trellis.local/ns/shop/sa/orders', 3600_000, now)
    const cert = new X509Certificate(issued.certificate)
    assert.equal(cert.subjectAltName, 'URI:spiffe://trellis.local/ns/shop/sa/orders')
    assert.equal(cert.publicKey.export({ type: 'spki', format: 'pem' }), pub)
    assert.equal(cert.ca, false)
    assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
    assert.equal(issued.serial, cert.serialNumber)
    assert.ok(Math.abs(Date.parse(cert.validTo) - (now + 3600_000)) < 2000)
    assert.ok(Date.parse(cert.validFrom) <= now)
    assert.deepEqual(issued.caCertificates, [ca.certificatePem])
    const again = await ca.issue(pub, 'spiffe://trellis.local/ns/shop/sa/orders', 3600_000)
    assert.notEqual(again.serial, issued.serial, 'every certificate gets its own serial')
  } finally { rmSync(dir, { recursive: true, force: true }) }
})

test('keys other than EC P-256 SPKI are refused with a message saying what is expected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ca-'))
  try {
    const ca = await CertificateAuthority.loadOrCreate(dir)
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string
    for (const bad of ['', 'not a key', rsa]) {
      await assert.rejects(ca.issue(bad, 'spiffe://trellis.local/ns/default/sa/x', 60_000), /EC P-256 public key in SPKI PEM/)
    }
  } finally { rmSync(dir, { recursive: true, force: true }) }
})
