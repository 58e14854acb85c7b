// URLRewrite: hostname and path (ReplaceFullPath, or ReplacePrefixMatch of the matched PathPrefix).
import type { PathMatchIR, URLRewriteIR, PathModifierIR } from '../../ir/index.js'
import type { Exchange } from '../exchange.js'

export function urlRewrite(cfg: URLRewriteIR, match: PathMatchIR): ((x: Exchange) => void) | null {
  if (!cfg.hostname && !cfg.path) return null
  const rewritePath = cfg.path ? pathModifier(cfg.path, match) : null
  const host = cfg.hostname
  return x => {
    if (host) x.headers.host = host
    if (rewritePath) x.path = rewritePath(x.path)
  }
}

/** Builds the path transform shared by URLRewrite and RequestRedirect. */
export function pathModifier(cfg: PathModifierIR, match: PathMatchIR): (path: string) => string {
  if (cfg.type === 'ReplaceFullPath') { const full = cfg.value; return () => full }
  // ReplacePrefixMatch only makes sense after a PathPrefix match; the prefix's trailing slash is ignored.
  const prefix = match.type === 'PathPrefix' ? match.value.replace(/\/+$/, '') : ''
  const replacement = cfg.value.replace(/\/+$/, '')
  return path => {
    const rest = path.slice(prefix.length)             // '' or starts with '/'
    const out = replacement + rest
    return out === '' ? '/' : out.startsWith('/') ? out : `/${out}`
  }
}
