// What the control plane's CA answers a proxy with (registration and renewal): the wire format both
// sides share.
export interface IssuedCertificate {
  readonly certificate: string               // PEM, the leaf
  readonly caCertificates: readonly string[] // PEM roots to trust
  readonly serial: string
  readonly notBefore: string                 // ISO 8601
  readonly notAfter: string
}
