// State in etcd, shared by several control-plane replicas. The config is one key, written only if
// nobody wrote it since this replica last read it (compare-and-swap on its mod revision), so two
// concurrent applies never overwrite each other: the second gets a conflict and changes nothing.
// Each replica's registered instances live under its own key, bound to a lease: when a replica
// dies, its instances leave with it (after the lease TTL); the others watch them as endpoints.
// The mesh CA (certificate and sealed private key, ca/sealed-ca.ts) is one more key, written once by
// whichever replica starts first, so every replica issues from the same root.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Etcd3, IOptions, Lease, Watcher } from 'etcd3'
import type { EtcdAccess } from './etcd-access.js'
import { explainEtcdError } from './etcd-errors.js'
import { parseEtcdUrl, type EtcdTarget } from './etcd-url.js'
import { StoreConflict, type Store, type StoredInstance, type StoredResource, type StoreState, type StoreWatchHandlers } from './types.js'
import { dialsByIp, dropIpServernameWarning } from './ip-servername-warning.js'

const CONFIG_KEY = 'trellis/config'
const INSTANCES_PREFIX = 'trellis/instances/'
const CA_KEY = 'trellis/ca'
const LEASE_TTL_S = 10
/** How long a replica waits for etcd on its first call before giving up with the cause. */
const CONNECT_TIMEOUT_MS = 5000

export class EtcdStore implements Store {
  readonly url: string
  private client: Etcd3 | null = null
  private connecting: Promise<Etcd3> | null = null
  private lease: Lease | null = null
  private readonly replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  /** Mod revision of the config as this replica last read or wrote it ('0': absent). */
  private revision = '0'
  private savedConfig = ''
  /** This replica's instances as etcd holds them under its lease ('' = not written, or lost with the lease). */
  private savedInstances = ''
  /** The latest list this replica was given (JSON): what etcd must end up holding, however writes fail. */
  private wantedInstances: string | null = null
  /** Instance writes, one at a time, so an older list never lands after a newer one. */
  private instanceWrites: Promise<void> = Promise.resolve()
  private instanceRetry: NodeJS.Timeout | null = null
  /** The etcd revision load() read at: the config watch starts right after it. */
  private loadedAt = '0'
  private readonly watchers: Watcher[] = []
  private readonly others = new Map<string, StoredInstance[]>()

  constructor(private readonly target: EtcdTarget, private readonly access: EtcdAccess = {}) {
    this.url = target.url
  }

  /** `etcd[s]://[USER@]HOST:PORT[,HOST:PORT…]`; `access` holds the TLS files' contents and the password. */
  static fromUrl(url: string, access: EtcdAccess = {}): EtcdStore {
    return new EtcdStore(parseEtcdUrl(url), access)
  }

  private async etcd(): Promise<Etcd3> {
    if (this.client) return this.client
    if (!this.connecting) this.connecting = this.connect().finally(() => { this.connecting = null })
    return this.connecting
  }

  /** A client that answered once: a wrong CA, a refused certificate or password fails here, with
   *  its cause and within CONNECT_TIMEOUT_MS, rather than as retries that never end. */
  private async connect(): Promise<Etcd3> {
    const { Etcd3 } = await import('etcd3')
    const client = new Etcd3(this.clientOptions())
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        client.get(CONFIG_KEY).exec(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000}s`)), CONNECT_TIMEOUT_MS) }),
      ])
    } catch (err) {
      client.close()
      throw new Error(`etcd store ${this.url}: ${explainEtcdError(err as Error, this.target)}`)
    } finally { clearTimeout(timer) }
    this.client = client
    return client
  }

  private clientOptions(): IOptions {
    const { tls, user, hosts } = this.target
    const { ca, cert, key, password } = this.access
    if (tls && dialsByIp(hosts)) dropIpServernameWarning()
    return {
      hosts: hosts.map(h => `${tls ? 'https' : 'http'}://${h}`),
      dialTimeout: 3000,
      // grpc takes a null root certificate as "the system's CAs"; etcd3's typing wants a Buffer.
      ...(tls && (ca || cert) ? { credentials: { rootCertificate: ca ?? (null as unknown as Buffer), certChain: cert, privateKey: key } } : {}),
      ...(user ? { auth: { username: user, password: password ?? '' } } : {}),
    }
  }

  async load(): Promise<StoreState> {
    const etcd = await this.etcd()
    const res = await etcd.get(CONFIG_KEY).exec()
    const kv = res.kvs[0]
    this.revision = kv ? kv.mod_revision : '0'
    this.loadedAt = res.header.revision
    this.savedConfig = kv ? kv.value.toString() : ''
    const resources = kv ? (JSON.parse(this.savedConfig) as StoredResource[]) : []
    // Other replicas' instances arrive through watch(); this replica's own start empty.
    return { resources, instances: [] }
  }

  configRevision(): string { return this.revision }

  async save(state: StoreState, configBase?: string): Promise<void> {
    const etcd = await this.etcd()
    const config = JSON.stringify(state.resources)
    const base = configBase ?? this.revision
    if (config !== this.savedConfig || base !== this.revision) {
      const cmp = base === '0' ? etcd.if(CONFIG_KEY, 'Version', '==', 0) : etcd.if(CONFIG_KEY, 'Mod', '==', base)
      const result = await cmp.then(etcd.put(CONFIG_KEY).value(config)).commit()
      if (!result.succeeded) throw new StoreConflict('the config was changed by another control-plane replica meanwhile; nothing was applied — re-run the command')
      this.revision = result.header.revision
      this.savedConfig = config
    }
    await this.saveInstances(state.instances)
  }

  /** Stores this replica's instances; rejects if etcd did not take them, and keeps retrying the
   *  latest list every second until it does (a list changed meanwhile replaces the one retried). */
  async saveInstances(list: readonly StoredInstance[]): Promise<void> {
    this.wantedInstances = JSON.stringify(list)
    await this.etcd()
    await this.flushInstances()
  }

  private flushInstances(): Promise<void> {
    const run = this.instanceWrites.then(() => this.writeWantedInstances())
    this.instanceWrites = run.catch(() => {})
    return run
  }

  private async writeWantedInstances(): Promise<void> {
    while (this.client && this.wantedInstances !== null && this.wantedInstances !== this.savedInstances) {
      const wanted = this.wantedInstances
      try {
        await this.ownLease().put(INSTANCES_PREFIX + this.replica).value(wanted)
      } catch (err) {
        this.retryInstances()
        throw err
      }
      this.savedInstances = wanted
    }
  }

  private retryInstances(): void {
    if (this.instanceRetry || !this.client) return
    this.instanceRetry = setTimeout(() => { this.instanceRetry = null; this.flushInstances().catch(() => {}) }, 1000)
    this.instanceRetry.unref()
  }

  async watch(handlers: StoreWatchHandlers): Promise<void> {
    const etcd = await this.etcd()
    // From just after what load() read, so a write in between is not missed.
    const config = await etcd.watch().key(CONFIG_KEY).startRevision(String(BigInt(this.loadedAt) + 1n)).create()
    config.on('put', kv => {
      if (BigInt(kv.mod_revision) <= BigInt(this.revision)) return   // our own write, or older than what we read since
      const resources = parseJson<StoredResource[]>(kv.value)
      if (!resources) return
      this.revision = kv.mod_revision
      this.savedConfig = kv.value.toString()
      handlers.config(resources)
    })
    const instances = await etcd.watch().prefix(INSTANCES_PREFIX).create()
    const replicaOf = (key: Buffer) => key.toString().slice(INSTANCES_PREFIX.length)
    instances.on('put', kv => {
      const r = replicaOf(kv.key)
      const list = parseJson<StoredInstance[]>(kv.value)
      if (r === this.replica || !list) return
      this.others.set(r, list)
      handlers.instances(this.remote())
    })
    instances.on('delete', kv => {
      if (this.others.delete(replicaOf(kv.key))) handlers.instances(this.remote())
    })
    this.watchers.push(config, instances)
    // What the other replicas registered before this one started watching.
    for (const [key, value] of Object.entries(await etcd.getAll().prefix(INSTANCES_PREFIX).strings())) {
      const r = key.slice(INSTANCES_PREFIX.length)
      const list = parseJson<StoredInstance[]>(Buffer.from(value))
      if (r !== this.replica && list) this.others.set(r, list)
    }
    handlers.instances(this.remote())
  }

  async sharedCa(offer: () => Promise<string>): Promise<string> {
    const etcd = await this.etcd()
    const stored = (await etcd.get(CA_KEY).exec()).kvs[0]
    if (stored) return stored.value.toString()
    const offered = await offer()
    // Put only if absent: of replicas starting together, the first write wins and the rest take it.
    const res = await etcd.if(CA_KEY, 'Create', '==', 0).then(etcd.put(CA_KEY).value(offered))
      .else(etcd.get(CA_KEY)).commit()
    return res.succeeded ? offered : res.responses[0].response_range.kvs[0].value.toString()
  }

  private remote(): StoredInstance[] { return [...this.others.values()].flat() }

  private ownLease(): Lease {
    if (this.lease) return this.lease
    const lease = this.client!.lease(LEASE_TTL_S)
    // A lost lease (etcd unreachable past the TTL) took this replica's instances with it: write the
    // latest list again under a new one, retrying until etcd answers.
    lease.on('lost', () => {
      if (this.lease !== lease) return
      this.lease = null
      this.savedInstances = ''
      this.flushInstances().catch(() => {})
    })
    this.lease = lease
    return lease
  }

  async close(): Promise<void> {
    if (this.instanceRetry) { clearTimeout(this.instanceRetry); this.instanceRetry = null }
    for (const w of this.watchers) await w.cancel().catch(() => {})
    await this.lease?.revoke().catch(() => {})
    this.client?.close()
    this.client = null
  }
}

/** A value another replica wrote; a malformed one is ignored rather than taking this replica down. */
function parseJson<T>(value: Buffer): T | null {
  try { return JSON.parse(value.toString()) as T } catch { return null }
}
