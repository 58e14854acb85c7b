// A RetryIR compiled once into the questions the attempt loop asks: may this outcome be retried,
// how long to back off, may this method be retried at all.
import type { RetryIR } from '../../ir/index.js'
import { GRPC_RETRY_NAMES } from '../grpc/grpc-status.js'

/** How an attempt ended when no usable response came back. */
export type AttemptFailure = 'connect-failure' | 'reset' | 'timeout'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const GATEWAY_ERRORS = [502, 503, 504]

export class RetryPolicy {
  readonly attempts: number                 // retries after the first try
  readonly perTryTimeoutMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly budgetPercent: number
  readonly budgetMinPerSecond: number
  private readonly statuses = new Uint8Array(600) // 1 = retry this status
  private readonly onReset: boolean
  /** gRPC statuses (by retryOn name) retried when they come back trailers-only. */
  private readonly grpcStatuses = new Set<number>()
  private readonly onTimeout: boolean
  /** Only connect failures: nothing reached the app, so any request may be retried. */
  readonly connectOnly: boolean

  constructor(ir: RetryIR) {
    this.attempts = ir.attempts
    this.perTryTimeoutMs = ir.perTryTimeoutMs
    this.backoffBaseMs = ir.backoffBaseMs
    this.backoffMaxMs = ir.backoffMaxMs
    this.budgetPercent = ir.budgetPercent
    this.budgetMinPerSecond = ir.budgetMinRetriesPerSecond
    let reset = false, timeout = false
    for (const on of ir.retryOn) {
      if (on === 'reset') reset = true
      else if (on === '5xx') { for (let s = 500; s < 600; s++) this.statuses[s] = 1; timeout = true }
      else if (on === 'gateway-error') { for (const s of GATEWAY_ERRORS) this.statuses[s] = 1; timeout = true }
      else if (on === 'unavailable') this.statuses[503] = 1
      else if (on === 'retriable-4xx') this.statuses[409] = 1
      else if (/^\d{3}$/.test(on)) { this.statuses[Number(on)] = 1; if (on === '504') timeout = true }
      if (on in GRPC_RETRY_NAMES) this.grpcStatuses.add(GRPC_RETRY_NAMES[on])
    }
    this.onReset = reset
    this.onTimeout = timeout
    this.connectOnly = !reset && !timeout && !this.statuses.some(v => v === 1) && this.grpcStatuses.size === 0
  }

  retriesStatus(status: number): boolean { return status < 600 && this.statuses[status] === 1 }

  retriesGrpc(grpcStatus: number): boolean { return this.grpcStatuses.has(grpcStatus) }

  retriesFailure(kind: AttemptFailure): boolean {
    return kind === 'connect-failure' || (kind === 'reset' ? this.onReset : this.onTimeout)
  }

  /** Beyond connect failures, only idempotent methods are retried (the app may have acted on the request). */
  static idempotent(method: string): boolean { return IDEMPOTENT.has(method) }
}

/** Without a policy: connect failures are retried on another endpoint, twice, within the default budget. */
export const DEFAULT_RETRY = new RetryPolicy({
  attempts: 2, perTryTimeoutMs: 0, retryOn: ['connect-failure'], backoffBaseMs: 0, backoffMaxMs: 0,
  budgetPercent: 20, budgetMinRetriesPerSecond: 10,
})
