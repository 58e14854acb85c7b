// Reads the server name (SNI) from the first bytes a TLS client sends, without terminating TLS.
// Bounded and total: every length is checked against what is present, nothing is trusted, and
// any input gives one of three answers — need more bytes, the ClientHello's name (or null when it
// has none), or invalid. Layout (RFC 8446 §4.1.2, RFC 6066 §3):
//   record:      type(1)=22 handshake, version(2)=0x03xx, length(2) ≤ 2^14+2048, fragment
//   handshake:   type(1)=1 ClientHello, length(3); may span several records (reassembled here)
//   ClientHello: version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2>
//                compression_methods<1..2^8-1> extensions<0..2^16-1> (absent in very old clients)
//   extension:   type(2) length(2) data; server_name (type 0): list<2..>, entries name_type(1)=0 host_name<1..>
// A ClientHello larger than MAX_HELLO_BYTES is refused as invalid.

export type SniResult =
  | { readonly kind: 'more' }
  | { readonly kind: 'hello'; readonly serverName: string | null }
  | { readonly kind: 'invalid'; readonly why: string }

/** Largest ClientHello accepted (post-quantum key shares make them ~2 KB; 16 KiB leaves ample room). */
export const MAX_HELLO_BYTES = 16_384
/** Bytes a sniffer must buffer at most: the ClientHello plus the headers of the records carrying it. */
export const MAX_SNIFF_BYTES = MAX_HELLO_BYTES + 5 * 8 + 4

const MORE: SniResult = Object.freeze({ kind: 'more' })
const invalid = (why: string): SniResult => ({ kind: 'invalid', why })
const MAX_RECORD = 16_384 + 2048

/** Parses `buf` (the bytes received so far, from the first byte of the connection). */
export function parseClientHelloSni(buf: Uint8Array): SniResult {
  // Reassemble the handshake message from consecutive handshake records.
  const parts: Uint8Array[] = []
  let have = 0, need = -1, off = 0
  while (need < 0 || have < need) {
    if (buf.length < off + 5) return buf.length > MAX_SNIFF_BYTES ? invalid('too many bytes before a ClientHello') : MORE
    if (buf[off] !== 22) return invalid('not a TLS handshake record')
    if (buf[off + 1] !== 3) return invalid('not a TLS record version')
    const len = (buf[off + 3] << 8) | buf[off + 4]
    if (len === 0 || len > MAX_RECORD) return invalid('bad TLS record length')
    const end = Math.min(buf.length, off + 5 + len)
    parts.push(buf.subarray(off + 5, end))
    have += end - off - 5
    if (need < 0 && have >= 4) {
      const head = concat(parts, have).subarray(0, 4)
      if (head[0] !== 1) return invalid('first handshake message is not a ClientHello')
      need = 4 + ((head[1] << 16) | (head[2] << 8) | head[3])
      if (need > MAX_HELLO_BYTES) return invalid('ClientHello too large')
    }
    if (end < off + 5 + len) { if (need < 0 || have < need) return MORE; break }
    off += 5 + len
  }
  return readHello(concat(parts, have).subarray(4, need))
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function readHello(h: Uint8Array): SniResult {
  let p = 2 + 32                                          // legacy_version, random
  if (h.length < p + 1) return invalid('truncated ClientHello')
  const sid = h[p]
  if (sid > 32) return invalid('bad session id length')
  p += 1 + sid
  if (h.length < p + 2) return invalid('truncated ClientHello')
  const suites = (h[p] << 8) | h[p + 1]
  if (suites < 2 || suites % 2 !== 0) return invalid('bad cipher suites length')
  p += 2 + suites
  if (h.length < p + 1) return invalid('truncated ClientHello')
  const comp = h[p]
  if (comp < 1) return invalid('bad compression methods length')
  p += 1 + comp
  if (p > h.length) return invalid('truncated ClientHello')
  if (p === h.length) return { kind: 'hello', serverName: null } // no extensions at all
  if (h.length < p + 2) return invalid('truncated extensions')
  const extEnd = p + 2 + ((h[p] << 8) | h[p + 1])
  if (extEnd !== h.length) return invalid('extensions length does not fit the ClientHello')
  p += 2
  while (p < extEnd) {
    if (extEnd < p + 4) return invalid('truncated extension')
    const type = (h[p] << 8) | h[p + 1]
    const len = (h[p + 2] << 8) | h[p + 3]
    p += 4
    if (extEnd < p + len) return invalid('truncated extension')
    if (type === 0) return readServerName(h.subarray(p, p + len))
    p += len
  }
  return { kind: 'hello', serverName: null }
}

function readServerName(e: Uint8Array): SniResult {
  if (e.length < 2) return invalid('truncated server_name')
  const listEnd = 2 + ((e[0] << 8) | e[1])
  if (listEnd !== e.length) return invalid('server_name list length does not fit')
  let p = 2
  while (p < listEnd) {
    if (listEnd < p + 3) return invalid('truncated server_name entry')
    const type = e[p]
    const len = (e[p + 1] << 8) | e[p + 2]
    p += 3
    if (listEnd < p + len) return invalid('truncated server_name entry')
    if (type === 0) return hostName(e, p, len)
    p += len
  }
  return { kind: 'hello', serverName: null }
}

/** A DNS host name of letters, digits, '-', '_' and '.', lower-cased; anything else is invalid. */
function hostName(e: Uint8Array, start: number, len: number): SniResult {
  if (len < 1 || len > 253) return invalid('bad host_name length')
  let s = ''
  for (let i = start; i < start + len; i++) {
    let c = e[i]
    if (c >= 65 && c <= 90) c += 32
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95
    if (!ok) return invalid('bad character in host_name')
    s += String.fromCharCode(c)
  }
  if (s.endsWith('.')) s = s.slice(0, -1)
  return { kind: 'hello', serverName: s }
}
