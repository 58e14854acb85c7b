// Serving certificates of a TLS-terminating port: one secure context per Certificate, chosen per
// connection by SNI against the hostnames of the listeners sharing the port (exact, then the
// longest wildcard, then a listener without hostname; no SNI or no match: the first listener's).
// The PEM files are polled (fs.watchFile, one stat per file per interval) and reloaded when they
// change: new connections get the new certificate, open ones keep theirs. A pair that fails to
// load (half-written, mismatched) keeps the last good context and is tried again on the next change.
// ALPN offers h2 first, then http/1.1: the port is served by an http2 secure server with allowHTTP1.
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { CertificateIR } from '../../ir/gateway.js'

export const ALPN_PROTOCOLS = ['h2', 'http/1.1']
export const CERT_POLL_MS = 500

export interface TlsServerOptions {
  readonly SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void
  readonly ALPNProtocols: string[]
  readonly cert: Buffer
  readonly key: Buffer
}

/** A hostname of a listener on the port (null = any) and the certificates it serves. */
export interface TlsListenerCerts { readonly hostname: string | null; readonly certificates: readonly CertificateIR[] }

class LoadedCertificate {
  context: SecureContext
  cert: Buffer
  key: Buffer
  constructor(readonly ir: CertificateIR, private readonly log: (line: string) => void, private readonly onChange: () => void) {
    const pair = this.read()
    this.cert = pair.cert; this.key = pair.key
    this.context = createSecureContext(pair)
    watchFile(ir.certFile, { interval: CERT_POLL_MS, persistent: false }, this.changed)
    watchFile(ir.keyFile, { interval: CERT_POLL_MS, persistent: false }, this.changed)
  }

  private readonly changed = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.reload()
  }

  private read(): { cert: Buffer; key: Buffer } {
    return { cert: readFileSync(this.ir.certFile), key: readFileSync(this.ir.keyFile) }
  }

  reload(): void {
    try {
      const pair = this.read()
      this.context = createSecureContext(pair)
      this.cert = pair.cert; this.key = pair.key
      this.log(`certificate ${this.ir.name} reloaded`)
      this.onChange()
    } catch (err) {
      this.log(`certificate ${this.ir.name}: keeping the previous one: ${(err as Error).message}`)
    }
  }

  close(): void {
    unwatchFile(this.ir.certFile, this.changed)
    unwatchFile(this.ir.keyFile, this.changed)
  }
}

export class CertificateStore {
  private readonly exact = new Map<string, LoadedCertificate>()
  private readonly wildcards: { suffix: string; cert: LoadedCertificate }[] = []
  private any: LoadedCertificate | null = null
  private readonly first: LoadedCertificate
  private readonly loaded: LoadedCertificate[] = []
  /** Called with the new default pair when the first listener's certificate changes (setSecureContext). */
  onDefaultChange: ((cert: Buffer, key: Buffer) => void) | null = null

  /** Throws when a certificate cannot be loaded (the snapshot is then refused). */
  constructor(listeners: readonly TlsListenerCerts[], log: (line: string) => void) {
    const byName = new Map<string, LoadedCertificate>()
    try {
      for (const l of listeners) {
        const ir = l.certificates[0]
        if (!ir) continue
        let cert = byName.get(ir.name)
        if (!cert) {
          const c: LoadedCertificate = new LoadedCertificate(ir, log, () => { if (c === this.first) this.onDefaultChange?.(c.cert, c.key) })
          cert = c
          byName.set(ir.name, cert)
          this.loaded.push(cert)
        }
        const h = l.hostname
        if (h === null || h === '*') this.any ??= cert
        else if (h.startsWith('*.')) this.wildcards.push({ suffix: h.slice(1), cert })
        else if (!this.exact.has(h)) this.exact.set(h, cert)
      }
    } catch (err) {
      this.close()
      throw err
    }
    if (this.loaded.length === 0) throw new Error('no certificate for a TLS-terminating listener')
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length)
    this.first = this.loaded[0]
  }

  /** The certificate for an SNI name (lower-cased here). */
  contextFor(servername: string): SecureContext {
    const name = servername.toLowerCase()
    const exact = this.exact.get(name)
    if (exact) return exact.context
    for (const w of this.wildcards) if (name.length > w.suffix.length && name.endsWith(w.suffix)) return w.cert.context
    return (this.any ?? this.first).context
  }

  serverOptions(): TlsServerOptions {
    return {
      SNICallback: (servername, cb) => cb(null, this.contextFor(servername)),
      ALPNProtocols: ALPN_PROTOCOLS,
      cert: this.first.cert,
      key: this.first.key,
    }
  }

  close(): void { for (const c of this.loaded) c.close() }
}
