// A small validator: schemas that parse plain data into typed values and report every problem
// with its field path and what would be valid. Unknown fields are always errors.
import { parseDuration, DURATION_HINT } from '../config/duration.js'

export type Path = readonly (string | number)[]

export interface Issue {
  readonly severity: 'error' | 'warning'
  readonly code: string
  readonly path: Path
  readonly at: 'key' | 'value'          // where to point: the field's key or its value
  readonly message: string
  readonly hint?: string
}

export class Issues {
  readonly list: Issue[] = []
  error(path: Path, code: string, message: string, hint?: string, at: 'key' | 'value' = 'value'): void {
    this.list.push({ severity: 'error', code, path, at, message, ...(hint ? { hint } : {}) })
  }
  warn(path: Path, code: string, message: string, hint?: string, at: 'key' | 'value' = 'value'): void {
    this.list.push({ severity: 'warning', code, path, at, message, ...(hint ? { hint } : {}) })
  }
  get errorCount(): number { return this.list.filter(i => i.severity === 'error').length }
}

export const INVALID: unique symbol = Symbol('invalid')
export type Invalid = typeof INVALID

/** How a field may be left out: required, optional (absent → undefined) or defaulted. */
export type Presence = 'required' | 'optional' | 'default'

export interface Schema<T, P extends Presence = Presence> {
  readonly presence: P
  readonly expected: string             // 'an integer from 1 to 65535'
  readonly fallback?: T                 // the default, for presence 'default'
  parse(value: unknown, path: Path, issues: Issues): T | Invalid
}

export type Infer<S> = S extends Schema<infer T, Presence> ? T : never

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return String(v)
}

export function wrongType(path: Path, issues: Issues, expected: string, v: unknown): Invalid {
  issues.error(path, 'INVALID_TYPE', `expected ${expected}, got ${show(v)}`)
  return INVALID
}

/** A required schema from a parse function. */
export function scalar<T>(expected: string, parse: Schema<T>['parse']): Schema<T, 'required'> {
  return { presence: 'required', expected, parse }
}

export function opt<T>(s: Schema<T, Presence>): Schema<T | undefined, 'optional'> {
  return { presence: 'optional', expected: s.expected, parse: s.parse }
}

export function def<T>(s: Schema<T, Presence>, fallback: T): Schema<T, 'default'> {
  return { presence: 'default', expected: s.expected, fallback, parse: s.parse }
}

/** Adds a check that runs when `s` parsed; errors it reports make the value invalid. */
export function refine<T, P extends Presence>(
  s: Schema<T, P>, check: (value: T, path: Path, issues: Issues) => void,
): Schema<T, P> {
  return {
    ...s,
    parse(v, path, issues) {
      const out = s.parse(v, path, issues)
      if (out === INVALID) return out
      const before = issues.errorCount
      check(out, path, issues)
      return issues.errorCount > before ? INVALID : out
    },
  }
}

export function str(opts: { pattern?: RegExp; describe?: string; maxLength?: number } = {}): Schema<string, 'required'> {
  const expected = opts.describe ?? 'a string'
  return scalar(expected, (v, path, issues) => {
    if (typeof v !== 'string') return wrongType(path, issues, expected, v)
    if ((opts.pattern && !opts.pattern.test(v)) || (opts.maxLength !== undefined && v.length > opts.maxLength)) {
      issues.error(path, 'INVALID_VALUE', `${show(v)} is not valid`, `use ${expected}`)
      return INVALID
    }
    return v
  })
}

/** An integer from `min` to `max`: every one has an upper bound (see bounds.ts), so 1e300 is an error. */
export function int(min: number, max: number): Schema<number, 'required'> {
  const expected = `an integer from ${min} to ${max}`
  return scalar(expected, (v, path, issues) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return wrongType(path, issues, expected, v)
    }
    return v
  })
}

export function num(min: number, max: number): Schema<number, 'required'> {
  const expected = `a number from ${min} to ${max}`
  return scalar(expected, (v, path, issues) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return wrongType(path, issues, expected, v)
    return v
  })
}

export function bool(): Schema<boolean, 'required'> {
  return scalar('true or false', (v, path, issues) =>
    typeof v === 'boolean' ? v : wrongType(path, issues, 'true or false', v))
}

export function oneOf<const V extends string>(values: readonly V[]): Schema<V, 'required'> {
  const list = values.join(', ')
  return scalar(`one of ${list}`, (v, path, issues) => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as V
    if (typeof v === 'string') issues.error(path, 'INVALID_VALUE', `${show(v)} is not valid`, `use one of ${list}`)
    else issues.error(path, 'INVALID_TYPE', `expected one of ${list}, got ${show(v)}`)
    return INVALID
  })
}

/** Node's timers hold at most 2^31-1 ms; a longer one fires at once instead. */
export const MAX_DURATION_MS = 2 ** 31 - 1

/** A duration string, parsed to milliseconds: 0, or from 1ms to the longest timer (~596h). */
export function duration(): Schema<number, 'required'> {
  return scalar('a duration', (v, path, issues) => {
    const ms = parseDuration(v)
    if (ms === null) {
      issues.error(path, 'INVALID_DURATION', `${show(v)} is not a duration`, DURATION_HINT)
      return INVALID
    }
    if (ms > MAX_DURATION_MS) {
      issues.error(path, 'INVALID_DURATION', `${show(v)} is too long`, 'use at most 596h (the longest timer)')
      return INVALID
    }
    if (ms === 0 && /[1-9]/.test(v as string)) {
      issues.error(path, 'INVALID_DURATION', `${show(v)} is shorter than 1ms`, 'use at least 1ms, or 0s for none')
      return INVALID
    }
    return ms
  })
}

export function list<T>(item: Schema<T, Presence>, opts: { min?: number; max?: number } = {}): Schema<T[], 'required'> {
  const expected = `a list, each ${item.expected}`
  return scalar(expected, (v, path, issues) => {
    if (!Array.isArray(v)) return wrongType(path, issues, expected, v)
    if (opts.min !== undefined && v.length < opts.min) {
      issues.error(path, 'INVALID_VALUE', opts.min === 1 ? 'must not be empty' : `needs at least ${opts.min} items`,
        `give ${expected}`)
      return INVALID
    }
    if (opts.max !== undefined && v.length > opts.max) {
      issues.error(path, 'INVALID_VALUE', `has ${v.length} items, at most ${opts.max} are allowed`)
      return INVALID
    }
    const out: T[] = []
    let ok = true
    v.forEach((x, i) => {
      const r = item.parse(x, [...path, i], issues)
      if (r === INVALID) ok = false
      else out.push(r)
    })
    return ok ? out : INVALID
  })
}

/** A mapping of strings to strings (labels, env). */
export function strMap(): Schema<Record<string, string>, 'required'> {
  const expected = 'a mapping of names to strings'
  return scalar(expected, (v, path, issues) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return wrongType(path, issues, expected, v)
    let ok = true
    const out: Record<string, string> = {}
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string') out[k] = x
      else {
        ok = false
        issues.error([...path, k], 'INVALID_TYPE', `expected a string, got ${show(x)}`,
          x === null || typeof x === 'object' ? undefined : `quote it: "${String(x)}"`)
      }
    }
    return ok ? out : INVALID
  })
}
