import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Credentials } from '../auth.js'
import { createCaPem } from './certificate-authority.js'
import { openCa, sealCa, SealedCaError } from './sealed-ca.js'

const joinKey = new Credentials('admin', randomBytes(32))
const pem = await createCaPem()

type Stored = { version: number; certificate: string; sealedKey: Record<'salt' | 'iv' | 'tag' | 'ciphertext', string> }

/** `value` with the last byte of one base64url field flipped. */
function flip(value: Stored, field: keyof Stored['sealedKey']): Stored {
  const bytes = Buffer.from(value.sealedKey[field], 'base64url')
  bytes[bytes.length - 1] ^= 0x01
  return { ...value, sealedKey: { ...value.sealedKey, [field]: bytes.toString('base64url') } }
}

test('a sealed CA keeps its certificate readable, hides its key, and opens with the same join key', () => {
  const text = sealCa(pem, joinKey)
  const body = pem.key.split('\n').filter(l => l && !l.startsWith('-----'))
  assert.ok(!text.includes('PRIVATE KEY') && body.every(line => !text.includes(line)), text)
  const stored = JSON.parse(text) as Stored
  assert.equal(stored.version, 1)
  assert.equal(stored.certificate, pem.certificate)
  assert.notEqual(JSON.parse(sealCa(pem, joinKey)).sealedKey.salt, stored.sealedKey.salt, 'a new salt and IV each time')
  assert.deepEqual(openCa(text, joinKey), pem)
})

test('a key in the clear is refused, not used: writing to etcd must not be enough to plant a CA', () => {
  assert.throws(() => openCa(JSON.stringify(pem), joinKey), (e: Error) => e instanceof SealedCaError && e.reason === 'malformed')
})

const sealed = JSON.parse(sealCa(pem, joinKey)) as Stored
const otherCert = (await createCaPem()).certificate
const refused: { name: string; text: string; secret?: Credentials; reason: SealedCaError['reason'] }[] = [
  { name: 'another join key', text: JSON.stringify(sealed), secret: new Credentials('admin', randomBytes(32)), reason: 'cannot-open' },
  { name: 'a flipped ciphertext byte', text: JSON.stringify(flip(sealed, 'ciphertext')), reason: 'cannot-open' },
  { name: 'a flipped IV byte', text: JSON.stringify(flip(sealed, 'iv')), reason: 'cannot-open' },
  { name: 'a flipped tag byte', text: JSON.stringify(flip(sealed, 'tag')), reason: 'cannot-open' },
  { name: 'a flipped salt byte', text: JSON.stringify(flip(sealed, 'salt')), reason: 'cannot-open' },
  { name: 'a shortened tag', text: JSON.stringify({ ...sealed, sealedKey: { ...sealed.sealedKey, tag: sealed.sealedKey.tag.slice(0, 8) } }), reason: 'cannot-open' },
  { name: 'another certificate beside the key', text: JSON.stringify({ ...sealed, certificate: otherCert }), reason: 'cannot-open' },
  { name: 'a later format version', text: JSON.stringify({ ...sealed, version: 2 }), reason: 'unknown-version' },
  { name: 'no sealed key', text: JSON.stringify({ version: 1, certificate: pem.certificate }), reason: 'malformed' },
  { name: 'not JSON', text: 'ca', reason: 'malformed' },
]
for (const c of refused) {
  test(`a stored CA with ${c.name} is refused`, () => {
    assert.throws(() => openCa(c.text, c.secret ?? joinKey), (err: unknown) => err instanceof SealedCaError && err.reason === c.reason)
  })
}
