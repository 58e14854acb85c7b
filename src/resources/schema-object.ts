// Object schemas: known fields only, required ones present, defaults filled in.
import {
  INVALID, show, type Infer, type Issues, type Path, type Presence, type Schema,
} from './schema.js'
import { closest } from './closest.js'

export type Shape = Record<string, Schema<unknown, Presence>>

type Simplify<T> = { [K in keyof T]: T[K] } & {}
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<unknown, 'optional'> ? K : never }[keyof S]
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>

export type ObjOut<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>

export interface ObjSchema<S extends Shape> extends Schema<ObjOut<S>, 'required'> {
  readonly shape: S
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A mapping with exactly the fields of `shape`. */
export function obj<S extends Shape>(shape: S, describe?: string): ObjSchema<S> {
  const names = Object.keys(shape)
  const validFields = `valid fields: ${names.join(', ')}`
  const expected = describe ?? 'a mapping'
  return {
    shape,
    presence: 'required',
    expected,
    parse(v: unknown, path: Path, issues: Issues) {
      if (!isMapping(v)) {
        issues.error(path, 'INVALID_TYPE', `expected ${expected}, got ${show(v)}`, validFields)
        return INVALID
      }
      let ok = true
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(v)) {
        if (Object.hasOwn(shape, key)) continue
        ok = false
        const near = closest(key, names)
        issues.error([...path, key], 'UNKNOWN_FIELD', `unknown field "${key}"`,
          near ? `${validFields} (did you mean "${near}"?)` : validFields, 'key')
      }
      for (const name of names) {
        const field = shape[name]
        const raw = v[name]
        if (raw === undefined || raw === null) {
          if (field.presence === 'default') out[name] = field.fallback
          else if (field.presence === 'required') {
            ok = false
            issues.error([...path, name], 'MISSING_FIELD', `missing required field "${name}"`,
              `expected ${field.expected}`, 'key')
          }
          continue
        }
        const r = field.parse(raw, [...path, name], issues)
        if (r === INVALID) ok = false
        else out[name] = r
      }
      return ok ? (out as ObjOut<S>) : INVALID
    },
  }
}
