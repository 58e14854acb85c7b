// Request-target normalization, run before routing and policy so every later stage (and the
// upstream) sees one canonical spelling of a path: a path that could be read two ways is
// rejected rather than guessed at. Steps, per RESOURCES.md "Listeners and their clients":
//   split off the query at the first '?'; take the path of an absolute-form target;
//   reject control characters (raw or %00-%1F, %7F), '#', malformed escapes, and — unless the
//   ClientTrafficPolicy allows them — %2F, %5C, raw '\' and ';';
//   decode escaped unreserved characters, upper-case the hex of the other escapes;
//   merge repeated slashes; resolve dot segments (RFC 3986 5.2.4), after decoding.
// Allowed '\', ';' and %2F/%5C are forwarded as they came, but a segment that some upstream
// would read as a dot segment through them (`..;`, `..\`, `..%2F`) is rejected as ambiguous.

export interface PathRules {
  readonly allowEncodedSlashes: boolean
  readonly allowBackslashes: boolean
  readonly allowSemicolons: boolean
}

export interface NormalizedTarget { readonly path: string; readonly query: string | null }
export interface PathError { readonly error: string }

// Shared, frozen: rejecting allocates nothing.
const err = (error: string): PathError => Object.freeze({ error })
const ERR_NOT_ORIGIN = err('request target must start with "/"')
const ERR_CONTROL = err('control character in path')
const ERR_FRAGMENT = err('fragment in request target')
const ERR_ESCAPE = err('malformed percent-encoding in path')
const ERR_ENCODED_SLASH = err('encoded slash (%2F) in path')
const ERR_BACKSLASH = err('backslash in path')
const ERR_SEMICOLON = err('semicolon in path')
const ERR_AMBIGUOUS = err('ambiguous dot segment in path')

const SLASH = 47, DOT = 46, PERCENT = 37, BACKSLASH = 92, SEMICOLON = 59, HASH = 35, QUESTION = 63

export function normalizePath(rawTarget: string, opts: PathRules): NormalizedTarget | PathError {
  const len = rawTarget.length
  let start = 0
  if (rawTarget.charCodeAt(0) !== SLASH) {
    start = absoluteFormPathStart(rawTarget)
    if (start < 0) return ERR_NOT_ORIGIN
  }
  const q = rawTarget.indexOf('?', start)
  const end = q === -1 ? len : q
  if (rawTarget.indexOf('#', start) !== -1) return ERR_FRAGMENT
  const query = q === -1 ? null : rawTarget.slice(q + 1)
  if (start === end) return { path: '/', query }          // absolute form without a path

  // Fast path: only plain characters, nothing to decode, merge or resolve.
  let fast = true
  for (let i = start; i < end; i++) {
    const c = rawTarget.charCodeAt(i)
    if (c <= 32 || c >= 127 || c === PERCENT || c === BACKSLASH || c === SEMICOLON) { fast = false; break }
    if (c === SLASH) {
      const n = rawTarget.charCodeAt(i + 1)           // NaN past the end
      if (n === SLASH || n === DOT) { fast = false; break }
    }
  }
  if (fast) return { path: start === 0 && end === len ? rawTarget : rawTarget.slice(start, end), query }

  const decoded = decodePath(rawTarget, start, end, opts)
  if (typeof decoded !== 'string') return decoded
  const path = resolveSegments(decoded, opts)
  if (path === null) return ERR_AMBIGUOUS
  return { path, query }
}

/** Index where the path of `scheme://authority/path` starts (== length when there is none), or -1. */
function absoluteFormPathStart(t: string): number {
  const sep = t.indexOf('://')
  if (sep < 1 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(t.slice(0, sep))) return -1
  for (let i = sep + 3; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c === SLASH || c === QUESTION || c === HASH) return i
  }
  return t.length
}

/** Validates and decodes [start, end); returns the decoded text or an error. */
function decodePath(t: string, start: number, end: number, opts: PathRules): string | PathError {
  let out = ''
  let copied = start                                    // t[copied, i) is pending verbatim
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i)
    if (c < 32 || c === 127) return ERR_CONTROL
    if (c === 32) return ERR_CONTROL                    // a raw space cannot be in a request line
    if (c === BACKSLASH) { if (!opts.allowBackslashes) return ERR_BACKSLASH; continue }
    if (c === SEMICOLON) { if (!opts.allowSemicolons) return ERR_SEMICOLON; continue }
    if (c !== PERCENT) continue
    const hi = hexValue(t.charCodeAt(i + 1)), lo = i + 2 < end ? hexValue(t.charCodeAt(i + 2)) : -1
    if (hi < 0 || lo < 0 || i + 2 >= end) return ERR_ESCAPE
    const v = hi * 16 + lo
    let replacement: string
    if (v < 32 || v === 127) return ERR_CONTROL
    if (v === SLASH) {
      if (!opts.allowEncodedSlashes) return ERR_ENCODED_SLASH
      replacement = '%2F'
    } else if (v === BACKSLASH) {
      if (!opts.allowBackslashes) return ERR_BACKSLASH
      replacement = '%5C'
    } else if (isUnreserved(v)) {
      replacement = String.fromCharCode(v)
    } else {
      replacement = '%' + HEX[hi] + HEX[lo]
    }
    out += t.slice(copied, i) + replacement
    i += 2
    copied = i + 1
  }
  return copied === start ? t.slice(start, end) : out + t.slice(copied, end)
}

const HEX = '0123456789ABCDEF'

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48                 // 0-9
  if (c >= 65 && c <= 70) return c - 55                 // A-F
  if (c >= 97 && c <= 102) return c - 87                // a-f
  return -1
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
    c === 45 || c === DOT || c === 95 || c === 126
}

/**
 * Merges repeated slashes and removes dot segments (RFC 3986 5.2.4) from a decoded path that
 * starts with '/'. A trailing slash, or a trailing dot segment, leaves a trailing slash.
 * Null when a segment hides a dot segment behind an allowed ';', '\', %2F or %5C.
 */
function resolveSegments(p: string, opts: PathRules): string | null {
  const parts = p.split('/')                            // parts[0] is '' (leading slash)
  const out: string[] = []
  const checkHidden = opts.allowSemicolons || opts.allowBackslashes || opts.allowEncodedSlashes
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]
    const last = i === parts.length - 1
    if (seg === '' || seg === '.') {
      if (last) out.push('')                            // keep the trailing slash
    } else if (seg === '..') {
      out.pop()
      if (last) out.push('')
    } else {
      if (checkHidden && hidesDotSegment(seg)) return null
      out.push(seg)
    }
  }
  return '/' + out.join('/')
}

/** True when splitting `seg` on ';', '\', %2F or %5C yields a '.' or '..' piece. */
function hidesDotSegment(seg: string): boolean {
  let pieceStart = 0
  for (let i = 0; i <= seg.length; i++) {
    const c = seg.charCodeAt(i)
    let delimiterLength = 0
    if (i === seg.length || c === SEMICOLON || c === BACKSLASH) delimiterLength = 1
    else if (c === PERCENT && (seg.startsWith('2F', i + 1) || seg.startsWith('5C', i + 1))) delimiterLength = 3
    if (delimiterLength === 0) continue
    if (i === seg.length && pieceStart === 0) return false   // no delimiter at all
    const n = i - pieceStart
    if ((n === 1 || n === 2) && seg.charCodeAt(pieceStart) === DOT && seg.charCodeAt(i - 1) === DOT) return true
    pieceStart = i + delimiterLength
    i += delimiterLength - 1
  }
  return false
}
