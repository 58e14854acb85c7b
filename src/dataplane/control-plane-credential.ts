// What a proxy shows the control plane. It joins with its join token (TRELLIS_TOKEN), which may
// expire; the control plane answers with a credential of this proxy's own, and hands a fresh one in
// a status answer before it runs out. From then on every call uses the credential: the stream,
// status reports, certificate renewals and registering again after a control-plane restart. The join
// token is used only while the proxy has no credential: when the control plane refuses the
// credential (the proxy was away longer than it lasts, or the join key changed), it is dropped and
// the next attempt joins again with the join token. Neither is ever logged.

export class ControlPlaneCredential {
  private header: string
  private credential: string | null = null

  constructor(private readonly joinToken: string, private readonly log: (line: string) => void) {
    this.header = `Bearer ${joinToken}`
  }

  /** The Authorization header for the next request to the control plane. */
  authorization(): string { return this.header }

  /** Whether requests go with this proxy's own credential (else with its join token). */
  get hasCredential(): boolean { return this.credential !== null }

  /** Keeps the credential an answer of the control plane carries (registration, status report). */
  take(answer: unknown): void {
    const c = (answer as { credential?: unknown } | null)?.credential
    if (typeof c !== 'string' || !c || c === this.credential) return
    this.credential = c
    this.header = `Bearer ${c}`
  }

  /** The control plane answered 401 to a request sent with `sent` (an `authorization()` value). */
  refused(sent: string, why: string): void {
    if (this.credential === null || sent !== this.header) return   // the join token, or one replaced since
    this.credential = null
    this.header = `Bearer ${this.joinToken}`
    this.log(`the control plane refused this proxy's credential (${why}); joining again with the join token`)
  }
}
