// Gateway API references shared by the route kinds: parentRefs, backendRefs, hostnames.
import { dnsLabel, hostname, nonEmpty, port, sectionName } from './common.js'
import { obj } from './schema-object.js'
import { def, int, list, opt, str, type Infer, type Presence, type Schema } from './schema.js'

export const GATEWAY_GROUP = 'gateway.networking.k8s.io'

const group = () => str({ pattern: /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, maxLength: 253,
  describe: 'an API group such as gateway.networking.k8s.io, or "" for the core group' })
const kindName = () => str({ pattern: /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, maxLength: 63, describe: 'a kind such as Service' })

/** A route's parent: a Gateway (default) or, for mesh routes, a Service (group then defaults to ""). */
export const parentRefSchema = obj({
  group: opt(group()),
  kind: def(kindName(), 'Gateway'),
  namespace: opt(dnsLabel()),
  name: dnsLabel(),
  sectionName: opt(sectionName()),
  port: opt(port()),
})
export type ParentRef = Infer<typeof parentRefSchema>

/** Where a mirror sends copies: a Service (BackendObjectReference). */
export const backendObjectRefSchema = obj({
  group: def(group(), ''),
  kind: def(kindName(), 'Service'),
  name: nonEmpty(),
  namespace: opt(dnsLabel()),
  port: opt(port()),
})
export type BackendObjectRef = Infer<typeof backendObjectRefSchema>

const backendFields = () => ({ ...backendObjectRefSchema.shape, weight: def(int(0, 1_000_000), 1) })

/** A weighted backendRef without filters (TCPRoute, TLSRoute). */
export const backendRefSchema = () => obj(backendFields())

/** A weighted backendRef with `filters` of the route's own filter schema. */
export function backendRefWithFilters<F>(filter: Schema<F, Presence>) {
  return obj({ ...backendFields(), filters: def(list(filter, { max: 16 }), []) })
}

export const parentRefsField = () => list(parentRefSchema, { min: 1, max: 32 })
export const hostnamesField = () => def(list(hostname(), { max: 16 }), [])
export const ruleName = () => opt(sectionName())

export const LOCAL_OBJECT_REF = () => obj({ group: def(group(), ''), kind: kindName(), name: nonEmpty() })
