import type { BreakerState } from './types.js'

export const PACKAGE = '@lambda-lifetime/breaker'

/** Why a call was refused without reaching the action. */
export type CircuitOpenReason = 'open' | 'probe-in-flight' | 'store-unavailable'

/**
 * The rejection of `breaker.fire()` when the breaker refuses a call and has no fallback: it is open,
 * it is half-open and another call is the probe, or the fleet store is unreachable and fails closed.
 * `name` stays `'CircuitOpenError'` (what loggers print as the error's kind); the breaker is `breaker`.
 *
 * @example
 * ```ts
 * try {
 *   await context.breakers.payments.fire(order)
 * } catch (error) {
 *   if (error instanceof CircuitOpenError) return queueForLater(order, error.retryAfterMs)
 *   throw error
 * }
 * ```
 */
export class CircuitOpenError extends Error {
  /** The breaker's name. */
  readonly breaker: string
  /** Milliseconds until the breaker lets a call through again (a probe, at least). */
  readonly retryAfterMs: number
  readonly state: Exclude<BreakerState, 'closed'>
  readonly reason: CircuitOpenReason

  constructor(
    breaker: string,
    retryAfterMs: number,
    state: Exclude<BreakerState, 'closed'>,
    reason: CircuitOpenReason,
  ) {
    super(
      `${PACKAGE}: circuit "${breaker}" is ${state === 'open' ? 'open' : 'half-open'} (${reason}); retry in ${Math.ceil(retryAfterMs)} ms`,
      {
        cause: { package: PACKAGE },
      },
    )
    this.name = 'CircuitOpenError'
    this.breaker = breaker
    this.retryAfterMs = retryAfterMs
    this.state = state
    this.reason = reason
  }
}

/** True for a `CircuitOpenError`, also one thrown by another bundled copy of this package. */
export const isCircuitOpenError = (error: unknown): error is CircuitOpenError =>
  error instanceof CircuitOpenError ||
  (error instanceof Error &&
    error.name === 'CircuitOpenError' &&
    typeof (error as { retryAfterMs?: unknown }).retryAfterMs === 'number' &&
    typeof (error as { breaker?: unknown }).breaker === 'string')
