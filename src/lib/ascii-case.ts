// Case-insensitive comparison of header names without `toLowerCase()`, which allocates a new string
// whenever the name has a capital letter (most servers send `Content-Length`, `Connection`).

/** `s` equals `lower` (all lowercase ASCII) ignoring the case of ASCII letters in `s`. */
export function equalsLower(s: string, lower: string): boolean {
  const n = lower.length
  if (s.length !== n) return false
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c !== lower.charCodeAt(i) && (c < 65 || c > 90 || c + 32 !== lower.charCodeAt(i))) return false
  }
  return true
}
