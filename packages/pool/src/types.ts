/**
 * Public types of @lambda-lifetime/pool.
 */

/** Why a resource was created, replaced or disposed (the `reason` of the pool lifecycle events). */
export type PoolEventReason = 'initial' | 'validation-failed' | 'max-age' | 'broken' | 'shutdown'

/** Tells whether an error means the resource itself is dead (a connection-level failure). */
export type BrokenClassifier = (error: unknown) => boolean

export interface WarmPoolOptions<TName extends string = string, TResource = unknown> {
  /** Key of the resource on `context` (`context[name]`), and its name in stats and events. One per runtime. */
  name: TName
  /** Makes the resource: a pool, a client, a value loaded once. Called once per runtime, and on recreation. */
  create: () => TResource | Promise<TResource>
  /**
   * Checks the resource after an idle gap above `validateAfterIdleMs`, before the handler sees it. It passes
   * unless it throws, rejects, returns `false` or outlasts `validateTimeoutMs`. Without it, no check runs.
   */
  validate?: (resource: TResource) => unknown
  /** Frees the resource when it is replaced or at shutdown (`pool.end()`, `agent.close()`, ...). */
  dispose?: (resource: TResource) => unknown
  /** Idle time of the resource (since its last use) after which `validate` runs. Default 60 000 ms. */
  validateAfterIdleMs?: number
  /** The longest a validation may take; past it, the resource counts as dead. Default 2 000 ms. */
  validateTimeoutMs?: number
  /** Age after which the resource is replaced (expiring credentials, DNS changes). Default: never. */
  maxAgeMs?: number
  /** The longest one `dispose` may take before it is given up on (and counted as a failure). Default 1 000 ms. */
  disposeTimeoutMs?: number
  /**
   * The longest one `create` may take; past it, every invocation waiting for it fails with a
   * `PoolTimeoutError` and the resource, if it still arrives, is disposed. Default 10 000 ms, and never
   * more than the remaining time of the invocations waiting for it.
   */
  createTimeoutMs?: number
  /** Which handler errors mean the resource is dead. Default `isConnectionError`. */
  isBroken?: BrokenClassifier
  /**
   * Which handler (and validation) errors mean the server refused a new connection because it is full.
   * Such an error starts a back-off; the resource is kept. Default `isServerBusyError`.
   */
  isBusy?: BrokenClassifier
  /**
   * After a refusal (`isBusy`), invocations fail at once with a `PoolBusyError`, without touching the
   * server, for about this long (half of it random), doubling with each refusal in a row. 0 turns the
   * back-off off. Default 1 000 ms.
   */
  backoffMs?: number
  /** The longest back-off, however many refusals in a row. Default 30 000 ms. */
  maxBackoffMs?: number
  /** Create the resource during init, when the middleware is built, instead of at the first invocation. */
  prefetch?: boolean
  /**
   * Listen for the resource's own `'error'` events (when it is an event emitter): each one marks it broken
   * instead of crashing the process. `pg.Pool` emits one when the server drops an idle connection. Default true.
   */
  watchErrorEvents?: boolean
}

/** Counters and state of one named resource, as `getPoolStats()` returns them. */
export interface PoolStats {
  readonly name: string
  /** Successful `create` calls: 1 plus the replacements. */
  readonly created: number
  /** Invocations handed a resource that an earlier invocation had already used or created. */
  readonly reused: number
  /** Validations run, passed or failed. */
  readonly validated: number
  /** Replacements: resources created because the previous one failed validation, aged out or broke. */
  readonly recreated: number
  /** Resources disposed (on replacement or shutdown). */
  readonly disposed: number
  /** Failed creates, failed validations, breakages (handler errors, `'error'` events) and failed disposals. */
  readonly failures: number
  /** Invocations holding the current resource now. */
  readonly inUse: number
  /** Milliseconds since the current resource was created; null when there is none. */
  readonly ageMs: number | null
  /** Milliseconds since the current resource was last used (0 while in use); null when there is none. */
  readonly idleMs: number | null
  /** True when the current resource is known dead and will be replaced at its next use. */
  readonly broken: boolean
}

/** The fields shared by the pool lifecycle events, named as in the lifecycle log line schema v1. */
interface PoolEventBase<TType extends string> {
  readonly type: TType
  /** Epoch milliseconds. */
  readonly at: number
  /** The resource's name. */
  readonly resource: string
  readonly reason: PoolEventReason
  readonly created: number
  readonly reused: number
  readonly validated: number
  readonly recreated: number
  readonly failures: number
  /** How long the `create` or `dispose` took, in ms. */
  readonly durationMs: number
}

/** A resource created for the first time in this runtime (`reason: 'initial'`). */
export interface PoolCreateEvent extends PoolEventBase<'pool.create'> {}
/** A resource created to replace one that failed validation, aged out or broke. */
export interface PoolRecreateEvent extends PoolEventBase<'pool.recreate'> {}
/** A resource disposed; `error` is set when its `dispose` threw or timed out. */
export interface PoolDisposeEvent extends PoolEventBase<'pool.dispose'> {
  readonly error?: string
}

declare module '@lambda-lifetime/container' {
  interface LifecycleEventMap {
    'pool.create': PoolCreateEvent
    'pool.recreate': PoolRecreateEvent
    'pool.dispose': PoolDisposeEvent
  }
}

/** What `warmPool({ name, create })` adds to the handler's context: the resource under its name. */
export type WarmPoolContext<TName extends string, TResource> = { [K in TName]: Awaited<TResource> }

export interface RetryIdempotentOptions {
  /** How many times the operation may run again after a connection-level failure. Default 1. */
  retries?: number
}
