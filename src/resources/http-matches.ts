// HTTPRoute / GRPCRoute match schemas: path, method, headers, query parameters.
import { regexSource } from './common.js'
import { obj } from './schema-object.js'
import { def, list, oneOf, opt, refine, str, type Infer } from './schema.js'

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const
export const headerNameSchema = () => str({
  pattern: /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, maxLength: 256, describe: 'an HTTP header name such as x-canary',
})

export const pathMatchSchema = refine(obj({
  type: def(oneOf(['Exact', 'PathPrefix', 'RegularExpression']), 'PathPrefix'),
  value: def(str(), '/'),
}), (p, path, issues) => {
  if (p.type === 'RegularExpression') {
    regexSource().parse(p.value, [...path, 'value'], issues)
  } else if (!p.value.startsWith('/') || /\/\/|\s|\?|#/.test(p.value)) {
    issues.error([...path, 'value'], 'INVALID_VALUE', `${JSON.stringify(p.value)} is not a valid ${p.type} path`,
      'use an absolute path such as /api, without //, ?, # or spaces')
  }
})

/** A header or query parameter match (Exact by default). */
function valueMatch(name: ReturnType<typeof str>) {
  return refine(obj({
    type: def(oneOf(['Exact', 'RegularExpression']), 'Exact'),
    name,
    value: str({ maxLength: 4096 }),
  }), (m, path, issues) => {
    if (m.type === 'RegularExpression') regexSource().parse(m.value, [...path, 'value'], issues)
  })
}

export const headerMatchSchema = valueMatch(headerNameSchema())
export const queryMatchSchema = valueMatch(str({ pattern: /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, maxLength: 256,
  describe: 'a query parameter name' }))
export type ValueMatch = Infer<typeof headerMatchSchema>

export const httpMatchSchema = obj({
  path: def(pathMatchSchema, { type: 'PathPrefix' as const, value: '/' }),
  headers: def(list(headerMatchSchema, { max: 16 }), []),
  queryParams: def(list(queryMatchSchema, { max: 16 }), []),
  method: opt(oneOf(HTTP_METHODS)),
})
export type HTTPMatch = Infer<typeof httpMatchSchema>

const GRPC_SERVICE = /^\.?[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/

export const grpcMethodMatchSchema = refine(obj({
  type: def(oneOf(['Exact', 'RegularExpression']), 'Exact'),
  service: opt(str({ maxLength: 1024 })),
  method: opt(str({ maxLength: 1024 })),
}), (m, path, issues) => {
  if (m.service === undefined && m.method === undefined) {
    issues.error(path, 'INVALID_VALUE', 'method match needs service, method or both')
    return
  }
  for (const field of ['service', 'method'] as const) {
    const v = m[field]
    if (v === undefined) continue
    if (m.type === 'RegularExpression') regexSource().parse(v, [...path, field], issues)
    else if (!(field === 'service' ? GRPC_SERVICE : GRPC_METHOD).test(v)) {
      issues.error([...path, field], 'INVALID_VALUE', `${JSON.stringify(v)} is not a valid gRPC ${field} name`,
        field === 'service' ? 'use a name such as shop.v1.Orders' : 'use a name such as GetOrder')
    }
  }
})

export const grpcMatchSchema = obj({
  method: opt(grpcMethodMatchSchema),
  headers: def(list(headerMatchSchema, { max: 16 }), []),
})
export type GRPCMatch = Infer<typeof grpcMatchSchema>
