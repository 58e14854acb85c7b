// Everything JWT needs, loaded only when a SecurityPolicy has `jwt` (it brings in jose): a gateway
// without one never loads it.
export { JwtAuthenticator } from './jwt-authenticator.js'
export { FileJwks } from './jwks.js'
export { RemoteJwks } from './jwks-url.js'
