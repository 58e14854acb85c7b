// SPIFFE identities: spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>.
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`
}

export function gatewayIdentity(trustDomain: string, qualifiedGateway: string): string {
  const [ns, name] = splitQualified(qualifiedGateway)
  return spiffeId(trustDomain, ns, `gateway-${name}`)
}

export function splitQualified(name: string): [string, string] {
  const slash = name.indexOf('/')
  return slash < 0 ? ['default', name] : [name.slice(0, slash), name.slice(slash + 1)]
}
