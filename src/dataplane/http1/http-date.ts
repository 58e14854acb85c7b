// The `Date` header value (RFC 9110 §6.6.1), formatted at most once per second: a proxy forwarding
// a response without one adds it, as Node's own server does.
let second = -1
let cached = ''

export function httpDate(): string {
  const now = Date.now()
  const s = Math.floor(now / 1000)
  if (s !== second) { second = s; cached = new Date(now).toUTCString() }
  return cached
}
