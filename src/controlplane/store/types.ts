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
  /** The SPIFFE ID its sidecar registered with (callers check it over mTLS). */
  readonly identity?: string
}

export interface StoreState {
  readonly resources: readonly StoredResource[]
  readonly instances: readonly StoredInstance[]
  /** The config version when saved, so a restarted control plane carries on above it (absent: 0). */
  readonly version?: number
}

export interface Store {
  readonly url: string
  load(): Promise<StoreState>
  /** Rejects with StoreConflict when the stored config is no longer at revision `configBase` (another
   *  replica wrote in between); stores without replicas ignore it. */
  save(state: StoreState, configBase?: string): Promise<void>
  /** The revision of the config as last read or written here, for save's `configBase`. */
  configRevision?(): string
  /** Stores shared by replicas: writes this replica's instances without touching the config. */
  saveInstances?(instances: readonly StoredInstance[]): Promise<void>
  close(): Promise<void>
  /** Stores shared by several control-plane replicas report what the others write. */
  watch?(handlers: StoreWatchHandlers): Promise<void>
  /** Stores shared by several control-plane replicas hold the one mesh CA they all issue from, as
   *  text the caller encodes (ca/sealed-ca.ts): the stored one, else `offer()`'s, stored unless
   *  another replica stored one first (then that one). */
  sharedCa?(offer: () => Promise<string>): Promise<string>
}

export interface StoreWatchHandlers {
  /** Another replica changed the config. */
  config(resources: readonly StoredResource[]): void
  /** The instances registered at the other replicas (each replica's own are not included). */
  instances(instances: readonly StoredInstance[]): void
}

/** The config was changed by another replica in between: nothing was written. */
export class StoreConflict extends Error {}
