// RequestHeaderModifier / ResponseHeaderModifier: set, add, remove — names lower-cased once at build.
import type { OutgoingHttpHeaders } from 'node:http'
import type { HeaderModifierIR } from '../../ir/index.js'

export type HeaderEdit = (headers: OutgoingHttpHeaders) => void

export function headerModifier(cfg: HeaderModifierIR): HeaderEdit | null {
  if (cfg.set.length + cfg.add.length + cfg.remove.length === 0) return null
  const setNames = cfg.set.map(h => h.name.toLowerCase()), setValues = cfg.set.map(h => h.value)
  const addNames = cfg.add.map(h => h.name.toLowerCase()), addValues = cfg.add.map(h => h.value)
  const removeNames = cfg.remove.map(n => n.toLowerCase())
  return headers => {
    for (let i = 0; i < setNames.length; i++) headers[setNames[i]] = setValues[i]
    for (let i = 0; i < addNames.length; i++) {
      const prev = headers[addNames[i]]
      headers[addNames[i]] = prev === undefined ? addValues[i] : `${Array.isArray(prev) ? prev.join(', ') : prev},${addValues[i]}`
    }
    for (let i = 0; i < removeNames.length; i++) delete headers[removeNames[i]]
  }
}

/** Several edits applied in order, or null when there are none. */
export function composeEdits(edits: readonly (HeaderEdit | null)[]): HeaderEdit | null {
  const list = edits.filter((e): e is HeaderEdit => e !== null)
  if (list.length === 0) return null
  if (list.length === 1) return list[0]
  return headers => { for (let i = 0; i < list.length; i++) list[i](headers) }
}
