// SPIFFE identities: spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>.
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`
}

/** Gateway proxies' service accounts are `gateway-<name>`; Workloads may not use the prefix. */
export const GATEWAY_IDENTITY_PREFIX = 'gateway-'

export function gatewayIdentity(trustDomain: string, qualifiedGateway: string): string {
  const [ns, name] = splitQualified(qualifiedGateway)
  return spiffeId(trustDomain, ns, `${GATEWAY_IDENTITY_PREFIX}${name}`)
}

const GATEWAY_SPIFFE_ID = /^spiffe:\/\/[^/]+\/ns\/[^/]+\/sa\/gateway-[^/]+$/

/** Whether a proven SPIFFE ID is a Gateway proxy's. */
export function isGatewayIdentity(id: string): boolean {
  return GATEWAY_SPIFFE_ID.test(id)
}

export function splitQualified(name: string): [string, string] {
  const slash = name.indexOf('/')
  return slash < 0 ? ['default', name] : [name.slice(0, slash), name.slice(slash + 1)]
}
