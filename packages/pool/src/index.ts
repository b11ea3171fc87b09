export { isConnectionError, isServerBusyError } from './classify.js'
export { PoolBusyError, PoolTimeoutError } from './errors.js'
export { warmPool, warmPoolValidateOptions } from './middleware.js'
export { getPoolStats } from './registry.js'
export { retryIdempotent } from './retry.js'
export type {
  BrokenClassifier,
  PoolCreateEvent,
  PoolDisposeEvent,
  PoolEventReason,
  PoolRecreateEvent,
  PoolStats,
  RetryIdempotentOptions,
  WarmPoolContext,
  WarmPoolOptions,
} from './types.js'
