// What the control plane persists: the applied config documents and the instance registry.
import type { Labels } from '../../ir/index.js'

/** One applied document, kept as its source text so a restart re-validates it with real positions. */
export interface StoredResource {
  readonly key: string        // 'Kind/namespace/name'
  readonly file: string
  readonly dir: string
  readonly line: number       // where the document started in its file
  readonly text: string
}

export interface StoredInstance {
  readonly id: string         // 'namespace/workload/replica'
  readonly workload: string
  readonly replica: number
  readonly labels: Labels
  readonly address: string
  readonly pid: number | null
  readonly proxy: string
}

export interface StoreState {
  readonly resources: readonly StoredResource[]
  readonly instances: readonly StoredInstance[]
}

export interface Store {
  readonly url: string
  load(): Promise<StoreState>
  save(state: StoreState): Promise<void>
  close(): Promise<void>
}
