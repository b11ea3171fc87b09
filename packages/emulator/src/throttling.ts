/**
 * Lambda's throttling model: the account's concurrency limit (shared by the functions without a
 * reservation), each function's reserved concurrency, and the scaling rate (up to 1,000 new
 * environments per function every 10 s). A refusal carries the `Reason` Lambda gives.
 */
import { InvokeApiError } from './errors.js'

/** Lambda's default account limit is 1,000; locally 100 environments is what a laptop can hold. */
export const DEFAULT_ACCOUNT_CONCURRENCY = 100
/** Lambda's scaling rate: new environments per function per window. */
export const SCALING_RATE = { environments: 1_000, windowMs: 10_000 } as const

export type ThrottleReason =
  | 'ConcurrentInvocationLimitExceeded'
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'

/** What the model needs to know about one function. */
export interface ConcurrencyUser {
  readonly name: string
  /** Its reserved concurrency, or null when it draws on the account's unreserved pool. */
  readonly reserved: number | null
  /** Environments serving or about to serve an invocation now. */
  busy(): number
}

export interface Throttle {
  readonly reason: ThrottleReason
  readonly message: string
}

/**
 * Whether one more environment may start for `user` now: its reservation, then the account's
 * unreserved pool (the limit less every reservation), then the scaling rate.
 *
 * @example
 * ```ts
 * throttleFor(user, [user], 100, [Date.now()]) // null: room left
 * ```
 */
export const throttleFor = (
  user: ConcurrencyUser,
  users: readonly ConcurrencyUser[],
  accountLimit: number,
  recentStarts: readonly number[],
  now = Date.now(),
): Throttle | null => {
  if (user.reserved !== null) {
    if (user.busy() >= user.reserved) {
      return {
        reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        message: `Rate Exceeded. ${user.name} is at its reserved concurrency (${user.reserved}, option concurrency)`,
      }
    }
  } else {
    const reservedTotal = users.reduce((sum, other) => sum + (other.reserved ?? 0), 0)
    const unreserved = Math.max(0, accountLimit - reservedTotal)
    const inUse = users.reduce((sum, other) => sum + (other.reserved === null ? other.busy() : 0), 0)
    if (inUse >= unreserved) {
      return {
        reason: 'ConcurrentInvocationLimitExceeded',
        message: `Rate Exceeded. The account's unreserved concurrency (${unreserved} of ${accountLimit}, option accountConcurrency) is in use`,
      }
    }
  }
  const started = recentStarts.filter((at) => now - at < SCALING_RATE.windowMs).length
  if (started >= SCALING_RATE.environments) {
    return {
      reason: 'ConcurrentInvocationLimitExceeded',
      message: `Rate Exceeded. ${user.name} started ${started} environments in the last 10 s, Lambda's scaling rate`,
    }
  }
  return null
}

/** Lambda's 429 for a throttle. */
export const throttleError = (throttle: Throttle): InvokeApiError =>
  new InvokeApiError('TooManyRequestsException', 429, throttle.message, throttle.reason)
