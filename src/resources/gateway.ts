// Gateway (gateway.networking.k8s.io/v1): listeners served by a gateway proxy.
import { dnsLabel, hostname, nonEmpty, port, sectionName } from './common.js'
import { GATEWAY_V1, registerKind } from './registry.js'
import { obj } from './schema-object.js'
import { def, list, oneOf, opt, refine, str, strMap, type Infer } from './schema.js'

export const LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TLS', 'TCP'] as const

const certificateRef = obj({
  group: def(str(), 'trellis.dev'),
  kind: def(str(), 'Certificate'),
  name: dnsLabel(),
  namespace: opt(dnsLabel()),
})

const tlsSchema = obj({
  mode: def(oneOf(['Terminate', 'Passthrough']), 'Terminate'),
  certificateRefs: def(list(certificateRef, { max: 64 }), []),
  options: opt(strMap()),
})

const labelSelector = obj({
  matchLabels: opt(strMap()),
  matchExpressions: opt(list(obj({
    key: nonEmpty(), operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: opt(list(str())),
  }))),
})

const allowedRoutes = obj({
  namespaces: opt(refine(obj({ from: def(oneOf(['All', 'Same', 'Selector']), 'Same'), selector: opt(labelSelector) }),
    (n, path, issues) => {
      // Gateway API: a selector is required with Selector (without one, routes from every namespace would attach)
      if (n.from === 'Selector' && n.selector === undefined) {
        issues.error([...path, 'from'], 'MISSING_FIELD', 'from: Selector needs a selector',
          'give selector: { matchLabels: { … } }, or use from: All or Same')
      }
    })),
  kinds: opt(list(obj({ group: def(str(), 'gateway.networking.k8s.io'), kind: nonEmpty() }))),
})

export const listenerSchema = refine(obj({
  name: sectionName(),
  hostname: opt(hostname()),
  port: port(),
  protocol: oneOf(LISTENER_PROTOCOLS),
  tls: opt(tlsSchema),
  allowedRoutes: opt(allowedRoutes),
}), (l, path, issues) => {
  if (l.protocol === 'HTTPS' || l.protocol === 'TLS') {
    if (!l.tls) {
      issues.error([...path, 'tls'], 'MISSING_FIELD', `missing required field "tls" for protocol ${l.protocol}`,
        'give tls: { mode: Terminate, certificateRefs: [{ name: <Certificate> }] }', 'key')
    } else if (l.protocol === 'HTTPS' && l.tls.mode !== 'Terminate') {
      issues.error([...path, 'tls', 'mode'], 'INVALID_VALUE', 'an HTTPS listener terminates TLS', 'use mode: Terminate, or protocol: TLS for passthrough')
    } else if (l.tls.mode === 'Terminate' && l.tls.certificateRefs.length === 0) {
      issues.error([...path, 'tls', 'certificateRefs'], 'MISSING_FIELD', 'a listener that terminates TLS needs certificateRefs',
        'name at least one Certificate', 'key')
    }
  } else if (l.tls) {
    issues.error([...path, 'tls'], 'INVALID_VALUE', `tls is not used with protocol ${l.protocol}`, 'use protocol HTTPS or TLS', 'key')
  }
})
export type Listener = Infer<typeof listenerSchema>

export const gatewaySpec = refine(obj({
  gatewayClassName: def(str(), 'trellis'),
  listeners: list(listenerSchema, { min: 1, max: 64 }),
  addresses: opt(list(obj({ type: def(str(), 'IPAddress'), value: nonEmpty() }))),
  infrastructure: opt(obj({
    labels: opt(strMap()),
    annotations: opt(strMap()),
    parametersRef: opt(obj({ group: str(), kind: nonEmpty(), name: nonEmpty() })),
  })),
}), (g, path, issues) => {
  // Trellis is the one implementation here: it serves every Gateway, whatever class it names.
  if (g.gatewayClassName !== 'trellis') {
    issues.warn([...path, 'gatewayClassName'], 'GATEWAY_CLASS', `class "${g.gatewayClassName}" is served by Trellis all the same`,
      'leave gatewayClassName out, or write trellis')
  }
  const seen = new Set<string>()
  g.listeners.forEach((l, i) => {
    if (seen.has(l.name)) {
      issues.error([...path, 'listeners', i, 'name'], 'DUPLICATE', `listener "${l.name}" is defined twice`,
        'give every listener of a Gateway its own name')
    }
    seen.add(l.name)
  })
})
export type GatewaySpec = Infer<typeof gatewaySpec>

registerKind({ kind: 'Gateway', apiVersion: GATEWAY_V1, spec: gatewaySpec })
