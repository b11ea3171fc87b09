/**
 * Time budgets. Work that waits on something outside the process (a hook, a dispose, a store call)
 * gets a bounded time, so nothing a user or a dependency does can hang an invocation or a shutdown.
 */

/** The longest delay Node's timers honour; a longer one fires after 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** What `withinMs` resolves to when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('lambda-lifetime.timed-out')

/**
 * Runs `work` (sync or async) and resolves to its value, or to `TIMED_OUT` once `timeoutMs` passed,
 * whichever comes first. A rejection of `work` rejects; a rejection after the time ran out is
 * swallowed, so a loser of the race never becomes an unhandled rejection. The timer is unref'd: a
 * give-up timer must never keep an otherwise finished process alive.
 *
 * @example
 * ```ts
 * const outcome = await withinMs(() => pool.end(), 200)
 * if (outcome === TIMED_OUT) console.warn('pool.end() took longer than 200 ms')
 * ```
 */
export const withinMs = async <T>(
  work: () => T | PromiseLike<T>,
  timeoutMs: number,
): Promise<Awaited<T> | typeof TIMED_OUT> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, clampTimerMs(timeoutMs), TIMED_OUT)
    timer.unref()
  })
  const running = Promise.resolve().then(work) as Promise<Awaited<T>>
  running.catch(() => undefined)
  try {
    return await Promise.race([running, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A delay Node's timers can honour: at least 0, at most `MAX_TIMER_MS`, never NaN. */
export const clampTimerMs = (ms: number): number =>
  Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_TIMER_MS)

/** What a Lambda context offers for the remaining time (absent outside Lambda and in some tests). */
export interface RemainingTimeSource {
  getRemainingTimeInMillis?: () => number
}

/**
 * The time a piece of work may take within an invocation: at most `capMs`, and never past the
 * invocation's own deadline less `reserveMs` (kept for answering and logging). At least 1 ms, so the
 * work is always tried and always bounded.
 *
 * @example
 * ```ts
 * const budgetMs = remainingBudgetMs(request.context, options.createTimeoutMs, 100)
 * ```
 */
export const remainingBudgetMs = (
  context: RemainingTimeSource | undefined,
  capMs: number,
  reserveMs = 0,
): number => {
  const remaining = context?.getRemainingTimeInMillis?.()
  const available =
    typeof remaining === 'number' && Number.isFinite(remaining)
      ? remaining - reserveMs
      : Number.POSITIVE_INFINITY
  return Math.max(1, Math.min(clampTimerMs(capMs), available))
}
