// Label maps in the IR: keys sorted, so output is byte-identical whatever the input order.

export function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of Object.keys(r).sort()) out[k] = r[k]
  return out
}

/** Does a non-empty selector match these labels? */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false
  const keys = Object.keys(selector)
  return keys.length > 0 && keys.every(k => labels[k] === selector[k])
}
