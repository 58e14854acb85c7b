import type { Store, StoreState } from './types.js'

/** Keeps state for the life of the process only. */
export class MemoryStore implements Store {
  readonly url = 'memory'
  private state: StoreState = { resources: [], instances: [] }
  async load(): Promise<StoreState> { return this.state }
  async save(state: StoreState): Promise<void> { this.state = state }
  async close(): Promise<void> {}
}
