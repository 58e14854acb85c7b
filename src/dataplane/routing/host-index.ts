// Host lookup for a listener's route table: exact hostnames in a Map, then `*.suffix` wildcards
// longest suffix first, then '*'. A request host is lower-cased and its port stripped first.

export class HostIndex<G> {
  private readonly exact = new Map<string, G>()
  /** `.example.com` for `*.example.com`, sorted longest first. */
  private readonly suffixes: string[] = []
  private readonly wildcardGroups: G[] = []
  private anyGroup: G | null = null

  /** Adds a group under an IR hostname (exact, `*.suffix` or '*'). Throws on a duplicate. */
  add(hostname: string, group: G): void {
    const h = hostname.toLowerCase()
    if (h === '*') {
      if (this.anyGroup !== null) throw duplicate(hostname)
      this.anyGroup = group
    } else if (h.startsWith('*.')) {
      const suffix = h.slice(1)
      if (this.suffixes.includes(suffix)) throw duplicate(hostname)
      let i = 0                               // insertion keeps longest-first (stable for equal lengths)
      while (i < this.suffixes.length && this.suffixes[i].length >= suffix.length) i++
      this.suffixes.splice(i, 0, suffix)
      this.wildcardGroups.splice(i, 0, group)
    } else {
      if (this.exact.has(h)) throw duplicate(hostname)
      this.exact.set(h, group)
    }
  }

  exactGroup(host: string): G | null {
    return this.exact.get(host) ?? null
  }

  get wildcardCount(): number { return this.suffixes.length }

  /** The i-th wildcard group (longest suffix first) if it matches `host`, else null. */
  wildcardGroup(i: number, host: string): G | null {
    const suffix = this.suffixes[i]
    // `*.example.com` needs at least one label before the suffix: not `example.com` itself.
    return host.length > suffix.length && host.endsWith(suffix) ? this.wildcardGroups[i] : null
  }

  get any(): G | null { return this.anyGroup }
}

function duplicate(hostname: string): Error {
  return new Error(`route table has two host groups for "${hostname}"`, { cause: { hostname } })
}

/**
 * Lower-cases a Host / :authority value and strips its port (and a trailing root dot).
 * Allocates only when the input needs changing.
 */
export function normalizeHost(host: string): string {
  let end = host.length
  if (host.charCodeAt(0) === 91 /* [ */) {  // IPv6 literal: [::1]:8080
    const close = host.indexOf(']')
    if (close !== -1) end = close + 1
  } else {
    const colon = host.indexOf(':')
    if (colon !== -1) end = colon
  }
  if (end > 1 && host.charCodeAt(end - 1) === 46 /* . */) end--
  let upper = false
  for (let i = 0; i < end; i++) {
    const c = host.charCodeAt(i)
    if (c >= 65 && c <= 90) { upper = true; break }
  }
  const h = end === host.length ? host : host.slice(0, end)
  return upper ? h.toLowerCase() : h
}
