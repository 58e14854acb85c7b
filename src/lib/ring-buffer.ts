// A fixed-capacity FIFO queue: the bound for any queue on the hot path (pending requests,
// samples). Storage is allocated once; push fails (returns false) rather than growing.

export class RingBuffer<T> {
  private readonly items: (T | undefined)[]
  private head = 0                       // index of the oldest item
  private count = 0
  readonly capacity: number

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`RingBuffer capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.items = new Array<T | undefined>(capacity).fill(undefined)
  }

  get size(): number { return this.count }
  get isEmpty(): boolean { return this.count === 0 }
  get isFull(): boolean { return this.count === this.capacity }

  /** Appends at the tail; false when full (the caller decides what rejection means). */
  push(item: T): boolean {
    if (this.count === this.capacity) return false
    this.items[(this.head + this.count) % this.capacity] = item
    this.count++
    return true
  }

  /** Appends, dropping and returning the oldest item when full (for "last N samples" windows). */
  pushEvict(item: T): T | undefined {
    if (this.count < this.capacity) { this.push(item); return undefined }
    const old = this.items[this.head]
    this.items[this.head] = item
    this.head = (this.head + 1) % this.capacity
    return old
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined    // let the GC have it
    this.head = (this.head + 1) % this.capacity
    this.count--
    return item
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head]
  }

  /** The i-th item from the oldest (0-based), or undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined
    return this.items[(this.head + i) % this.capacity]
  }

  /** Removes the first item identical to `item` (e.g. a pending request that gave up). O(n). */
  remove(item: T): boolean {
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head + i) % this.capacity
      if (this.items[idx] !== item) continue
      for (let j = i; j < this.count - 1; j++) {
        this.items[(this.head + j) % this.capacity] = this.items[(this.head + j + 1) % this.capacity]
      }
      this.items[(this.head + this.count - 1) % this.capacity] = undefined
      this.count--
      return true
    }
    return false
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.items[(this.head + i) % this.capacity] = undefined
    this.head = 0
    this.count = 0
  }
}
