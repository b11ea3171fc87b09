import { emitPackageWarning, optionError } from '@lambda-lifetime/commons'
import { PACKAGE } from './package.js'
import { containerState } from './state.js'
import type { LifecycleEvent, LifecycleListener } from './types.js'

/**
 * Subscribes to the container's lifecycle events. Listeners run synchronously, in the order they
 * subscribed; one that throws is reported as a process warning and never breaks the invocation.
 *
 * @returns a function that unsubscribes the listener.
 * @example
 * ```ts
 * const unsubscribe = onLifecycle((event) => {
 *   if (event.type === 'container.thaw') console.log(`idle for ${event.idleMs} ms`)
 * })
 * ```
 */
export const onLifecycle = (listener: LifecycleListener): (() => void) => {
  if (typeof listener !== 'function') {
    throw optionError(PACKAGE, 'onLifecycle(listener) needs a function')
  }
  const state = containerState()
  // Copy on write: an emit in progress keeps iterating the array it started with.
  state.listeners = [...state.listeners, listener]
  return () => {
    state.listeners = state.listeners.filter((candidate) => candidate !== listener)
  }
}

/**
 * Delivers an event to every listener. Sibling packages (pool, breaker) publish their events here so
 * that one subscriber, such as the logger, sees the whole container's life.
 *
 * @example
 * ```ts
 * emitLifecycle({ type: 'breaker.open', at: Date.now(), name: 'payments', ... })
 * ```
 */
export const emitLifecycle = (event: LifecycleEvent): void => {
  const listeners = containerState().listeners
  for (let index = 0; index < listeners.length; index++) {
    try {
      listeners[index]?.(event)
    } catch (error) {
      emitPackageWarning(
        PACKAGE,
        `a listener of "${event.type}" threw: ${String(error)}`,
        'LAMBDA_LIFETIME_LISTENER_ERROR',
      )
    }
  }
}
