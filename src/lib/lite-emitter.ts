// A small event emitter for per-request objects on the hot path: the subset of EventEmitter that
// streams and the data plane call (on/once/off/emit/listenerCount/prependListener), with the
// listener table made only when the first listener is added. Node's EventEmitter makes a
// null-prototype table per object up front, which for two objects per request is measurable garbage.
type Listener = (...args: any[]) => void
type Slot = Listener | Listener[]

export class LiteEmitter {
  private table: Record<string | symbol, Slot> | null = null

  on(event: string | symbol, fn: Listener): this { return this.add(event, fn, false) }
  addListener(event: string | symbol, fn: Listener): this { return this.on(event, fn) }
  prependListener(event: string | symbol, fn: Listener): this { return this.add(event, fn, true) }

  once(event: string | symbol, fn: Listener): this {
    const wrapper = (...args: unknown[]): void => { this.removeListener(event, wrapper); fn.apply(this, args) }
    ;(wrapper as { listener?: Listener }).listener = fn
    return this.on(event, wrapper)
  }

  off(event: string | symbol, fn: Listener): this { return this.removeListener(event, fn) }

  removeListener(event: string | symbol, fn: Listener): this {
    const t = this.table
    const slot = t === null ? undefined : t[event]
    if (slot === undefined) return this
    if (typeof slot === 'function') {
      if (slot === fn || (slot as { listener?: Listener }).listener === fn) delete (t as Record<string | symbol, Slot>)[event]
      return this
    }
    for (let i = slot.length - 1; i >= 0; i--) {
      const l = slot[i]
      if (l === fn || (l as { listener?: Listener }).listener === fn) {
        const rest = slot.slice(0, i).concat(slot.slice(i + 1))   // a copy: an emit in progress keeps its list
        if (rest.length === 0) delete (t as Record<string | symbol, Slot>)[event]
        else (t as Record<string | symbol, Slot>)[event] = rest.length === 1 ? rest[0] : rest
        break
      }
    }
    return this
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const t = this.table
    const slot = t === null ? undefined : t[event]
    if (slot === undefined) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(`unhandled 'error' event`)
      return false
    }
    if (typeof slot === 'function') { slot.apply(this, args); return true }
    for (const l of slot) l.apply(this, args)             // `slot` is never mutated, only replaced
    return true
  }

  listenerCount(event: string | symbol): number {
    const slot = this.table === null ? undefined : this.table[event]
    return slot === undefined ? 0 : typeof slot === 'function' ? 1 : slot.length
  }

  private add(event: string | symbol, fn: Listener, first: boolean): this {
    const t = (this.table ??= {})
    const slot = t[event]
    if (slot === undefined) t[event] = fn
    else if (typeof slot === 'function') t[event] = first ? [fn, slot] : [slot, fn]
    else t[event] = first ? [fn, ...slot] : [...slot, fn]
    return this
  }
}
