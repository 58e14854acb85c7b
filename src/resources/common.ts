// Field schemas shared by several kinds: names, hostnames, addresses, metadata, policy targets.
import { obj, type ObjOut } from './schema-object.js'
import { def, int, list, oneOf, opt, refine, scalar, str, strMap, wrongType, INVALID, type Issues, type Path } from './schema.js'

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** A name: lower-case letters, digits and '-', starting and ending with a letter or digit. */
export const dnsLabel = () => str({
  pattern: DNS_LABEL, maxLength: 63,
  describe: 'a name of lower-case letters, digits and "-" (at most 63, starting and ending with a letter or digit)',
})

/** A Gateway API SectionName (listener or rule name). */
export const sectionName = () => str({
  pattern: DNS_LABEL, maxLength: 253, describe: 'a name of lower-case letters, digits and "-"',
})

/** A Gateway API Hostname: a DNS name, optionally starting with "*." */
export const hostname = () => str({
  pattern: HOSTNAME, maxLength: 253, describe: 'a lower-case DNS name such as api.example.com or *.example.com',
})

export const preciseHostname = () => str({
  pattern: PRECISE_HOSTNAME, maxLength: 253, describe: 'a lower-case DNS name such as api.example.com',
})

export const nonEmpty = () => str({ pattern: /\S/, describe: 'a non-empty string' })

/** host:port, with a port from 1 to 65535 (IPv6 hosts in brackets). */
export const hostPort = () => {
  const expected = 'an address host:port such as 127.0.0.1:9001'
  return scalar(expected, (v, path, issues) => {
    if (typeof v !== 'string') return wrongType(path, issues, expected, v)
    const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(v)
    const port = m ? Number(m[2]) : 0
    if (!m || port < 1 || port > 65535) {
      issues.error(path, 'INVALID_VALUE', `${JSON.stringify(v)} is not valid`, `use ${expected}`)
      return INVALID
    }
    return v
  })
}

export const port = () => int(1, 65535)

/** A regular expression in JavaScript syntax (checked by compiling it). */
export const regexSource = () => refine(str(), (v, path, issues) => {
  try {
    new RegExp(v)
  } catch (err) {
    issues.error(path, 'INVALID_VALUE', `${JSON.stringify(v)} is not a valid regular expression`,
      `use JavaScript syntax (${(err as Error).message})`)
  }
})

export const metadataSchema = obj({
  name: dnsLabel(),
  namespace: def(dnsLabel(), 'default'),
  labels: def(strMap(), {}),
  annotations: def(strMap(), {}),
})
export type Metadata = ObjOut<typeof metadataSchema.shape>

/** `targetRef` to one of `kinds` (Gateway API policy attachment). */
export function targetRefSchema(kinds: readonly string[]) {
  return obj({
    group: opt(str()),
    kind: oneOf(kinds),
    name: dnsLabel(),
    namespace: opt(dnsLabel()),
    sectionName: opt(sectionName()),
  })
}
export type TargetRef = { group?: string; kind: string; name: string; namespace?: string; sectionName?: string }

/** The spec fields `targetRef` and `targetRefs` (exactly one of them), for a policy's shape. */
export function targetFields(kinds: readonly string[]) {
  const ref = targetRefSchema(kinds)
  return { targetRef: opt(ref), targetRefs: opt(list(ref, { min: 1 })) }
}

/** Checks that a policy spec has exactly one of targetRef / targetRefs, and no target twice in
 *  targetRefs (the Gateway API refuses that; a policy would otherwise apply its rules twice). */
export function checkTargets(spec: { targetRef?: unknown; targetRefs?: unknown }, path: Path, issues: Issues): void {
  if (spec.targetRef === undefined && spec.targetRefs === undefined) {
    issues.error([...path, 'targetRef'], 'MISSING_FIELD', 'missing required field "targetRef"',
      'name what the policy attaches to, e.g. { kind: Service, name: payments }', 'key')
  } else if (spec.targetRef !== undefined && spec.targetRefs !== undefined) {
    issues.error([...path, 'targetRefs'], 'INVALID_VALUE', 'use either targetRef or targetRefs, not both', undefined, 'key')
  } else if (Array.isArray(spec.targetRefs)) {
    const seen = new Map<string, number>()
    spec.targetRefs.forEach((ref: TargetRef, i) => {
      const id = [ref.group ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.sectionName ?? ''].join('|')
      const first = seen.get(id)
      if (first === undefined) { seen.set(id, i); return }
      const what = `${ref.kind} ${ref.name}${ref.sectionName ? ` (section ${ref.sectionName})` : ''}`
      issues.error([...path, 'targetRefs', i], 'DUPLICATE_TARGET', `${what} is already targetRefs[${first}]`, 'name each target once')
    })
  }
}

/** The targets of a validated policy spec, with the field path of each. */
export function targetsOf(spec: { targetRef?: TargetRef; targetRefs?: TargetRef[] }): { ref: TargetRef; path: Path }[] {
  if (spec.targetRef) return [{ ref: spec.targetRef, path: ['spec', 'targetRef'] }]
  return (spec.targetRefs ?? []).map((ref, i) => ({ ref, path: ['spec', 'targetRefs', i] }))
}

