// Certificate: a serving certificate (PEM files) for Gateway listeners.
import { nonEmpty } from './common.js'
import { registerKind, TRELLIS_V1ALPHA1 } from './registry.js'
import { obj } from './schema-object.js'
import type { Infer } from './schema.js'

export const certificateSpec = obj({ certFile: nonEmpty(), keyFile: nonEmpty() })
export type CertificateSpec = Infer<typeof certificateSpec>

registerKind({ kind: 'Certificate', apiVersion: TRELLIS_V1ALPHA1, spec: certificateSpec })
