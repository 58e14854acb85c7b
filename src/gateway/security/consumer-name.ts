// A consumer's name (JWT `sub`, API key name) travels in x-trellis-consumer and in policies as
// `gateway:<name>`: visible ASCII only, so it can never break or smuggle a header.
const CONSUMER_NAME = /^[\x21-\x7e]{1,256}$/

export function isConsumerName(v: unknown): v is string {
  return typeof v === 'string' && CONSUMER_NAME.test(v)
}
