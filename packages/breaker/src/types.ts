/**
 * Public types of @lambda-lifetime/breaker, and the lifecycle events it adds to the container's bus
 * (declaration merging, so `onLifecycle` listeners see `breaker.open` typed).
 */
import type CircuitBreaker from 'opossum'

/** The state of a breaker, named as opossum names its getters. */
export type BreakerState = 'closed' | 'open' | 'halfOpen'

/** Where a transition came from: this container's own calls, or the fleet store. */
export type BreakerSource = 'local' | 'store'

/**
 * opossum options the middleware accepts. The breaker drives opossum's rolling window and reset timer
 * itself (wall clock, freeze-aware), so the options that would hand those over are not accepted.
 */
export type OpossumOptions<TArgs extends unknown[] = unknown[]> = Omit<
  CircuitBreaker.Options<TArgs>,
  'rotateBucketController' | 'status' | 'name' | 'group' | 'maxFailures'
> & {
  /** opossum 10 options that `@types/opossum` 8 does not list. */
  cacheSize?: number
  coalesce?: boolean
  coalesceTTL?: number
  coalesceSize?: number
  coalesceResetOn?: ReadonlyArray<'error' | 'success' | 'timeout'>
}

/** One breaker of the container, as handlers see it on `context.breakers[name]`. */
export interface Breaker<TArgs extends unknown[] = unknown[], TResult = unknown> {
  readonly name: string
  /** Calls the action through the breaker; see `CircuitOpenError` for what an open breaker does. */
  fire(...args: TArgs): Promise<TResult>
  /** The state now, by the wall clock: an open breaker whose `resetTimeout` passed reads `halfOpen`. */
  readonly state: BreakerState
  /** opossum's counts over the rolling window, advanced to now. */
  readonly stats: CircuitBreaker.Stats
  /** Milliseconds until this breaker lets a call through again (0 when closed). */
  readonly retryAfterMs: number
  /**
   * The opossum instance behind the breaker, for reading. It is replaced when the breaker goes
   * half-open after a freeze (opossum re-hydrated in that state), so do not keep it or listen to it:
   * subscribe to the `breaker.*` lifecycle events instead.
   */
  readonly circuit: CircuitBreaker<TArgs, TResult>
}

/** What `context.breakers` holds for one `circuitBreaker({ name })` middleware. */
export type BreakerContext<TName extends string, TArgs extends unknown[], TResult> = {
  breakers: { [K in TName]: Breaker<TArgs, TResult> }
}

export interface CircuitBreakerOptions<
  TName extends string = string,
  TArgs extends unknown[] = unknown[],
  TResult = unknown,
  TFallback = never,
> {
  /** Key on `context.breakers` and in the container registry: one breaker per name per runtime. */
  name: TName
  /** The protected call. */
  action: (...args: TArgs) => TResult | Promise<TResult>
  /** opossum options (`timeout`, `errorThresholdPercentage`, `resetTimeout`, `volumeThreshold`, ...). */
  options?: OpossumOptions<TArgs>
  /** Answer when the breaker is open or the call fails (opossum's fallback: the call's arguments, then the error). */
  fallback?: (...args: [...TArgs, Error]) => TFallback | Promise<TFallback>
  /** Fleet-wide state shared by every container, e.g. `dynamoDbBreakerStore(...)`. */
  store?: BreakerStore
}

/** The fleet-wide state of one breaker, as a store keeps it. */
export interface BreakerRecord {
  readonly state: BreakerState
  /** Incremented by every write; compare-and-set compares it. */
  readonly version: number
  /** Epoch ms at which the fleet opened the breaker (null when closed). */
  readonly openedAt: number | null
  /** The container elected to probe while half-open, and until when its lease holds (epoch ms). */
  readonly probeOwner: string | null
  readonly probeUntil: number | null
}

/** What a compare-and-set writes: the version is the store's business. */
export interface BreakerWrite {
  readonly state: Exclude<BreakerState, 'halfOpen'>
  readonly openedAt: number | null
  /** Who writes (the container's owner id), for people reading the table. */
  readonly owner: string
}

export interface ProbeElection {
  /** The version the candidate saw; the election fails if the record changed since. */
  readonly version: number
  readonly owner: string
  /** How long the elected container may take before others may elect a new probe. */
  readonly leaseMs: number
  /** Epoch ms, now. */
  readonly now: number
}

/** What the breaker tells a store about one call. */
export interface StoreCall {
  /**
   * The time the call may take: the remaining time of the invocation that waits for it, less a
   * reserve. A store gives up within it (and applies its failure policy); the breaker stops waiting
   * 50 ms after it, counting that as a store error.
   */
  readonly budgetMs: number
  /**
   * True when the container's own breaker is closed and counted no failure in its rolling window:
   * nothing here suggests trouble, so the store may answer from an older read (the DynamoDB store
   * reuses one for `quietCacheTtlMs` then, for `cacheTtlMs` otherwise). Absent counts as false.
   */
  readonly quiet?: boolean
}

/**
 * Fleet-wide breaker state. The breaker counts failures in memory and uses the store only for
 * transitions, so an implementation must make `compareAndSet` and `electProbe` atomic
 * (a conditional write) and may cache `get`.
 *
 * Failure policy belongs to the store: `get` throwing makes the breaker refuse the call (fail closed);
 * `get` resolving `null` makes it run on local state only (fail open). A call that outlasts its
 * budget counts as throwing.
 */
export interface BreakerStore {
  /**
   * The record, or null when there is none (or when the store fails open). May be cached; `call` is
   * absent when no invocation waits for the answer.
   */
  get(name: string, call?: StoreCall): Promise<BreakerRecord | null>
  /** Writes `next` with version `expectedVersion + 1` if the stored version is `expectedVersion` (0: no record). */
  compareAndSet(name: string, expectedVersion: number, next: BreakerWrite): Promise<BreakerRecord | null>
  /**
   * Makes `owner` the one half-open probe: sets state `halfOpen`, version + 1 and the lease, if the
   * version is still `election.version` and no other lease is live. Resolves the new record, or null
   * when another container won.
   */
  electProbe(name: string, election: ProbeElection): Promise<BreakerRecord | null>
}

interface BreakerEventBase<TType extends string> {
  readonly type: TType
  /** Epoch ms. */
  readonly at: number
  /** The breaker's name. */
  readonly breaker: string
  readonly failures: number
  readonly successes: number
  readonly rejects: number
  readonly timeouts: number
  readonly source: BreakerSource
}

export interface BreakerOpenEvent extends BreakerEventBase<'breaker.open'> {}
export interface BreakerHalfOpenEvent extends BreakerEventBase<'breaker.half-open'> {}
export interface BreakerCloseEvent extends BreakerEventBase<'breaker.close'> {}
export type BreakerLifecycleEvent = BreakerOpenEvent | BreakerHalfOpenEvent | BreakerCloseEvent

declare module '@lambda-lifetime/container' {
  interface LifecycleEventMap {
    'breaker.open': BreakerOpenEvent
    'breaker.half-open': BreakerHalfOpenEvent
    'breaker.close': BreakerCloseEvent
  }
}
