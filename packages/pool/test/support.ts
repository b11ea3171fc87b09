/**
 * Test helpers of @lambda-lifetime/pool, also used by the integration tests in test/pool.
 */
import { jest } from '@jest/globals'
import { resetContainer } from '../../../test/support/container.js'

/** Forgets every warm resource and the container state, as a new runtime would start. */
export const resetPools = (): void => {
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('lambda-lifetime.pool')]
  resetContainer()
}

/**
 * Fakes only the clocks (`performance.now()` and `Date`), so that a test can move time past an idle
 * threshold while sockets, drivers and timeouts keep running on real timers.
 */
export const useFakeClock = (): ((ms: number) => void) => {
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
    ],
  })
  return (ms) => jest.advanceTimersByTime(ms)
}

/** A promise with its resolve function outside, to hold a `create` until the test lets it go. */
export const deferred = <T>(): { promise: Promise<T>; resolve: (value: T) => void } => {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** An error shaped like a socket reset. */
export const connectionReset = (): Error =>
  Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
