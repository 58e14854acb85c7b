// A stand-in for an identity provider: signs a JWT with the demo key (keys/dev-signing-key.pem,
// whose public half is keys/jwks.json). Demo only: a real provider keeps its private key to itself.
//   node make-token.mjs [sub] [email] [lifetime]     e.g. node make-token.mjs dev-user dev@example.test 1h
import { readFileSync } from 'node:fs'
import { importPKCS8, SignJWT } from 'jose'

const [sub = 'dev-user', email = 'dev@example.test', lifetime = '1h'] = process.argv.slice(2)
const key = await importPKCS8(readFileSync(new URL('keys/dev-signing-key.pem', import.meta.url), 'utf8'), 'ES256')
const token = await new SignJWT({ email })
  .setProtectedHeader({ alg: 'ES256', kid: 'dev-2026', typ: 'JWT' })
  .setIssuer('https://idp.example.test').setAudience('api').setSubject(sub)
  .setIssuedAt().setExpirationTime(lifetime)
  .sign(key)
process.stdout.write(`${token}\n`)
