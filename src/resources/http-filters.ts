// Gateway API route filters (HTTPRoute and GRPCRoute, rule- and backendRef-level).
import { MAX_COUNT } from './bounds.js'
import { preciseHostname, port } from './common.js'
import { backendObjectRefSchema, LOCAL_OBJECT_REF } from './gateway-api-refs.js'
import { headerNameSchema } from './http-matches.js'
import { obj, type Shape } from './schema-object.js'
import { def, int, list, oneOf, opt, refine, str, type Infer, type Issues, type Path, type Presence, type Schema } from './schema.js'

// RFC 9110 field values: no control characters but tab (a line break would end the header).
const headerValue = () => str({
  pattern: /^[^\0-\x08\x0a-\x1f\x7f]*$/, maxLength: 4096,
  describe: 'a header value without control characters such as line breaks',
})
const header = obj({ name: headerNameSchema(), value: headerValue() })
// A new path goes into the request line or Location: no spaces or control characters.
const newPath = () => str({
  pattern: /^\/[^\s\0-\x1f\x7f]*$/, describe: 'a path starting with "/", without spaces or control characters',
})
export const headerModifierSchema = obj({
  set: def(list(header, { max: 16 }), []),
  add: def(list(header, { max: 16 }), []),
  remove: def(list(headerNameSchema(), { max: 16 }), []),
})

export const pathModifierSchema = refine(obj({
  type: oneOf(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: opt(newPath()),
  replacePrefixMatch: opt(newPath()),
}), (m, path, issues) => {
  const want = m.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch'
  const other = m.type === 'ReplaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath'
  if (m[want] === undefined) {
    issues.error([...path, want], 'MISSING_FIELD', `missing required field "${want}" for type ${m.type}`,
      'expected a path starting with "/"', 'key')
  }
  if (m[other] !== undefined) {
    issues.error([...path, other], 'INVALID_VALUE', `${other} is not used with type ${m.type}`, `use ${want}`, 'key')
  }
})
export type PathModifier = Infer<typeof pathModifierSchema>

export const requestMirrorSchema = refine(obj({
  backendRef: backendObjectRefSchema,
  percent: opt(int(0, 100)),
  fraction: opt(refine(obj({ numerator: int(0, MAX_COUNT), denominator: def(int(1, MAX_COUNT), 100) }), (f, path, issues) => {
    if (f.numerator > f.denominator) issues.error([...path, 'numerator'], 'INVALID_VALUE', 'numerator must not exceed denominator')
  })),
}), (m, path, issues) => {
  if (m.percent !== undefined && m.fraction !== undefined) {
    issues.error([...path, 'fraction'], 'INVALID_VALUE', 'use either percent or fraction, not both', undefined, 'key')
  }
})

export const requestRedirectSchema = obj({
  scheme: opt(oneOf(['http', 'https'])),
  hostname: opt(preciseHostname()),
  path: opt(pathModifierSchema),
  port: opt(port()),
  statusCode: def(refine(int(300, 399), (c, path, issues) => {
    if (![301, 302, 303, 307, 308].includes(c)) {
      issues.error(path, 'INVALID_VALUE', `${c} is not valid`, 'use one of 301, 302, 303, 307, 308')
    }
  }), 302),
})

export const urlRewriteSchema = obj({ hostname: opt(preciseHostname()), path: opt(pathModifierSchema) })

/** The filter field that configures each filter type. */
export const FILTER_FIELDS = {
  RequestHeaderModifier: ['requestHeaderModifier', headerModifierSchema],
  ResponseHeaderModifier: ['responseHeaderModifier', headerModifierSchema],
  RequestMirror: ['requestMirror', requestMirrorSchema],
  RequestRedirect: ['requestRedirect', requestRedirectSchema],
  URLRewrite: ['urlRewrite', urlRewriteSchema],
  ExtensionRef: ['extensionRef', LOCAL_OBJECT_REF()],
} as const
export type FilterType = keyof typeof FILTER_FIELDS

/** The full filter shape (HTTPRoute); GRPCRoute validates the same shape with fewer allowed types. */
function filterShape() {
  return {
    type: oneOf(Object.keys(FILTER_FIELDS) as FilterType[]),
    requestHeaderModifier: opt(headerModifierSchema),
    responseHeaderModifier: opt(headerModifierSchema),
    requestMirror: opt(requestMirrorSchema),
    requestRedirect: opt(requestRedirectSchema),
    urlRewrite: opt(urlRewriteSchema),
    extensionRef: opt(LOCAL_OBJECT_REF()),
  } satisfies Shape
}
const fullFilter = obj(filterShape())
export type RouteFilter = Infer<typeof fullFilter>

/** A filter allowing `types`: the type's own field is required and no other config field is allowed. */
export function filterSchema(types: readonly FilterType[]) {
  const shape: Shape = { type: oneOf(types) }
  for (const t of types) shape[FILTER_FIELDS[t][0]] = opt(FILTER_FIELDS[t][1] as Schema<unknown, Presence>)
  return refine(obj(shape), (f, path, issues) => {
    const type = f.type as FilterType
    const own = FILTER_FIELDS[type][0]
    if (f[own] === undefined) {
      issues.error([...path, own], 'MISSING_FIELD', `missing required field "${own}" for type ${type}`, undefined, 'key')
    }
    for (const t of types) {
      const field = FILTER_FIELDS[t][0]
      if (field !== own && f[field] !== undefined) {
        issues.error([...path, field], 'INVALID_VALUE', `${field} is not used with type ${type}`, `use ${own}`, 'key')
      }
    }
  }) as unknown as Schema<RouteFilter, 'required'>
}

/** Gateway API rules on one filter list: each type at most once except RequestMirror; no redirect with rewrite. */
export function checkFilterList(filters: readonly RouteFilter[], path: Path, issues: Issues): void {
  const seen = new Set<string>()
  filters.forEach((f, i) => {
    if (f.type !== 'RequestMirror' && f.type !== 'ExtensionRef' && seen.has(f.type)) {
      issues.error([...path, i, 'type'], 'DUPLICATE', `filter ${f.type} is used twice`, 'merge them into one')
    }
    if ((f.type === 'RequestRedirect' && seen.has('URLRewrite')) || (f.type === 'URLRewrite' && seen.has('RequestRedirect'))) {
      issues.error([...path, i, 'type'], 'INVALID_VALUE', 'RequestRedirect and URLRewrite cannot be used together')
    }
    seen.add(f.type)
  })
}
