// Gateway API filters → FilterIR (ExtensionRef filters are left out: named in the NOT_ENFORCED warning).
import type { FieldPath } from '../config/source.js'
import type { FilterIR, HeaderModifierIR, PathModifierIR } from '../ir/route.js'
import type { PathModifier, RouteFilter } from '../resources/http-filters.js'
import type { ValidResource } from '../resources/validate-resource.js'
import { resolveBackend } from './backends.js'
import type { Catalog } from './catalog.js'
import type { DiagnosticSink } from './diagnostics.js'

type HeaderModifier = NonNullable<RouteFilter['requestHeaderModifier']>

function headerModifier(m: HeaderModifier): HeaderModifierIR {
  return {
    set: m.set.map(h => ({ name: h.name, value: h.value })),
    add: m.add.map(h => ({ name: h.name, value: h.value })),
    remove: [...m.remove],
  }
}

function pathModifier(p: PathModifier | undefined): PathModifierIR | null {
  if (!p) return null
  return p.type === 'ReplaceFullPath'
    ? { type: 'ReplaceFullPath', value: p.replaceFullPath ?? '/' }
    : { type: 'ReplacePrefixMatch', value: p.replacePrefixMatch ?? '/' }
}

function mirrorPercent(m: NonNullable<RouteFilter['requestMirror']>): number {
  if (m.percent !== undefined) return m.percent
  if (m.fraction) return (m.fraction.numerator / m.fraction.denominator) * 100
  return 100
}

export function compileFilters(cat: Catalog, sink: DiagnosticSink, route: ValidResource,
  filters: readonly RouteFilter[], path: FieldPath): FilterIR[] {
  const out: FilterIR[] = []
  filters.forEach((f, i) => {
    const at = [...path, i]
    if (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier) {
      out.push({ type: 'RequestHeaderModifier', requestHeaderModifier: headerModifier(f.requestHeaderModifier) })
    } else if (f.type === 'ResponseHeaderModifier' && f.responseHeaderModifier) {
      out.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: headerModifier(f.responseHeaderModifier) })
    } else if (f.type === 'URLRewrite' && f.urlRewrite) {
      out.push({ type: 'URLRewrite', urlRewrite: { hostname: f.urlRewrite.hostname ?? null, path: pathModifier(f.urlRewrite.path) } })
    } else if (f.type === 'RequestRedirect' && f.requestRedirect) {
      const r = f.requestRedirect
      out.push({
        type: 'RequestRedirect',
        requestRedirect: {
          scheme: r.scheme ?? null, hostname: r.hostname ?? null, port: r.port ?? null,
          path: pathModifier(r.path), statusCode: r.statusCode,
        },
      })
    } else if (f.type === 'RequestMirror' && f.requestMirror) {
      const service = resolveBackend(cat, sink, route, f.requestMirror.backendRef, [...at, 'requestMirror', 'backendRef'])
      out.push({ type: 'RequestMirror', requestMirror: { service, percent: mirrorPercent(f.requestMirror) } })
    }
  })
  return out
}
