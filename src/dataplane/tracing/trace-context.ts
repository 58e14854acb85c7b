// W3C Trace Context (`traceparent`): parsing what arrives, and the ids of new traces and spans.
// Ids come from a batch of secure random bytes formatted through one scratch buffer, as request
// ids do (no per-request Buffer or string concatenation beyond the result).
import { HEX_DIGITS, randomPool, takeRandom } from '../../lib/random-batch.js'

export interface TraceParent {
  readonly traceId: string              // 32 lower-case hex digits, not all zero
  readonly parentId: string             // 16 lower-case hex digits, not all zero
  readonly sampled: boolean
}

const text = Buffer.allocUnsafeSlow(32)

function randomHex(bytes: number): string {
  for (;;) {
    const at = takeRandom(bytes)
    let zero = true
    for (let i = 0; i < bytes; i++) {
      const b = randomPool[at + i]
      if (b !== 0) zero = false
      text[2 * i] = HEX_DIGITS[b >> 4]
      text[2 * i + 1] = HEX_DIGITS[b & 15]
    }
    if (!zero) return text.toString('latin1', 0, 2 * bytes)   // all-zero ids are invalid
  }
}

export const newTraceId = (): string => randomHex(16)
export const newSpanId = (): string => randomHex(8)

/** The parent context of a `traceparent` value, or null when it is absent or malformed (then a
 *  new trace starts). Versions above 00 are read for their first four fields, as the spec asks. */
export function parseTraceParent(value: string | string[] | undefined): TraceParent | null {
  if (typeof value !== 'string') return null
  const v = value.trim()
  if (v.length < 55 || v.charCodeAt(2) !== 45 || v.charCodeAt(35) !== 45 || v.charCodeAt(52) !== 45) return null
  const version = v.slice(0, 2)
  if (!isHex(version) || version === 'ff' || (version === '00' ? v.length !== 55 : v.length > 55 && v.charCodeAt(55) !== 45)) return null
  const traceId = v.slice(3, 35), parentId = v.slice(36, 52), flags = v.slice(53, 55)
  if (!isHex(traceId) || !isHex(parentId) || !isHex(flags) || isZero(traceId) || isZero(parentId)) return null
  return { traceId, parentId, sampled: (parseInt(flags, 16) & 1) === 1 }
}

export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
  }
  return true
}

function isZero(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 48) return false
  return true
}
