/**
 * One opossum breaker per name per runtime, driven by the wall clock so that a freeze does not fool it:
 * the rolling window advances by the time that really passed, and an open breaker whose reset timeout
 * passed while frozen goes half-open on the next call. With a store, transitions are shared by the fleet.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import {
  describeDifferences,
  differingOptions,
  emitPackageWarning,
  MAX_TIMER_MS,
  optionError,
  type RemainingTimeSource,
  remainingBudgetMs,
  TIMED_OUT,
  withinMs,
} from '@lambda-lifetime/commons'
import { emitLifecycle } from '@lambda-lifetime/container'
import CircuitBreaker from 'opossum'
import { CircuitOpenError, type CircuitOpenReason, PACKAGE } from './errors.js'
import type {
  Breaker,
  BreakerLifecycleEvent,
  BreakerRecord,
  BreakerSource,
  BreakerState,
  BreakerStore,
  BreakerWrite,
  CircuitBreakerOptions,
} from './types.js'

const REGISTRY_KEY = Symbol.for('lambda-lifetime.breakers')
/** How long a refused caller is told to wait for a half-open probe when the action has no timeout. */
const UNBOUNDED_PROBE_WAIT_MS = 10_000
/** Slack on top of the action's timeout before the fleet may elect another probe. */
const PROBE_LEASE_MARGIN_MS = 1_000

/**
 * Kept from the invocation's remaining time when a call waits for the store: enough for the call to
 * be refused or answered by the fallback, and the invocation to end, before Lambda's own timeout.
 */
const STORE_RESERVE_MS = 200
/**
 * How long a call waits, past the budget it gave the store, before it stops waiting: a store should
 * give up within its budget (the DynamoDB store aborts its request), and this only bounds one that does not.
 */
const STORE_GRACE_MS = 50
/**
 * The bound of store calls no single invocation waits for (transition writes, probe elections), for a
 * store that ignores budgets: the DynamoDB store gives up far sooner (its `callTimeoutMs`).
 */
const SHARED_STORE_CALL_MS = 5_000

const STORE_ERROR = 'LAMBDA_LIFETIME_BREAKER_STORE_ERROR'

/** A store that throws on a write loses that write (or an election), never the call that caused it. */
const warnStoreError = (error: unknown, what = 'write'): void => {
  emitPackageWarning(PACKAGE, `a store ${what} failed: ${String(error)}`, STORE_ERROR)
}

/** A store that outlasted the time it was given (and the grace after it). */
class StoreCallTimeout extends Error {}

const isOwnTimeout = (error: unknown): boolean => error instanceof StoreCallTimeout

/** A store call within `budgetMs` (plus a grace); one that outlasts it fails, as a store error. */
const storeCall = async <T>(work: () => Promise<T>, budgetMs: number, what: string): Promise<T> => {
  const outcome = await withinMs(work, budgetMs + STORE_GRACE_MS)
  if (outcome !== TIMED_OUT) return outcome
  throw new StoreCallTimeout(`the store's ${what} did not settle within ${Math.round(budgetMs)} ms`, {
    cause: { package: PACKAGE },
  })
}

type AnyBreaker = ContainerBreaker<never, unknown>

export interface BreakerRegistry {
  readonly version: 1
  readonly breakers: Map<string, AnyBreaker>
  /** This runtime's id in probe elections, minted on first need (never at import: SnapStart-safe). */
  owner: string | null
}

type RegistryHolder = { [REGISTRY_KEY]?: BreakerRegistry }

/** The container-scope registry, shared through a global symbol by every bundled copy of this package. */
export const breakerRegistry = (): BreakerRegistry => {
  const holder = globalThis as RegistryHolder
  let registry = holder[REGISTRY_KEY]
  if (registry === undefined) {
    registry = { version: 1, breakers: new Map(), owner: null }
    holder[REGISTRY_KEY] = registry
  }
  return registry
}

type Config<TArgs extends unknown[], TResult> = CircuitBreakerOptions<string, TArgs, TResult, unknown>

const isOpenReject = (error: unknown): boolean =>
  error instanceof Error &&
  CircuitBreaker.isOurError(error) &&
  (error as { code?: unknown }).code === 'EOPENBREAKER'

export class ContainerBreaker<TArgs extends unknown[], TResult> implements Breaker<TArgs, TResult> {
  readonly name: string
  /** The options it was registered with, as `registerBreaker` compares them. */
  readonly registration: Readonly<Record<string, unknown>>
  readonly #action: (...args: TArgs) => Promise<TResult>
  readonly #fallback: ((...argsAndError: unknown[]) => unknown) | undefined
  readonly #opossumOptions: CircuitBreaker.Options<TArgs>
  readonly #resetTimeoutMs: number
  readonly #probeWaitMs: number
  readonly #bucketMs: number
  readonly #buckets: number
  readonly #rotator = new EventEmitter()
  readonly #store: BreakerStore | undefined
  readonly #registry: BreakerRegistry
  #circuit: CircuitBreaker<TArgs, TResult>
  #bucketStartedAt: number
  #bucketEndsAt: number
  /** Epoch ms at which the breaker opened (here, or in the fleet when adopted from the store). */
  #openedAt = 0
  /** Source of the transition being applied; opossum's events cannot carry it. */
  #source: BreakerSource = 'local'
  #seenVersion = 0
  #nextElectionAt = 0
  #election: Promise<void> | null = null
  #writes: Promise<void> | null = null

  constructor(config: Config<TArgs, TResult>, registry: BreakerRegistry) {
    this.name = config.name
    this.registration = registrationOf(config as Config<never, unknown>)
    this.#action = config.action as (...args: TArgs) => Promise<TResult>
    this.#store = config.store
    this.#registry = registry
    const userFallback = config.fallback as ((...argsAndError: unknown[]) => unknown) | undefined
    this.#fallback = userFallback && this.#wrapFallback(userFallback)
    const options = config.options ?? {}
    this.#resetTimeoutMs = options.resetTimeout ?? 30_000
    const timeout = options.timeout ?? 10_000
    this.#probeWaitMs = timeout === false || timeout <= 0 ? UNBOUNDED_PROBE_WAIT_MS : timeout
    this.#buckets = options.rollingCountBuckets ?? 10
    this.#bucketMs = Math.max(1, Math.floor((options.rollingCountTimeout ?? 10_000) / this.#buckets))
    this.#opossumOptions = {
      enableSnapshots: false,
      ...options,
      name: config.name,
      // opossum's own reset timer never fires; the wall clock decides instead.
      resetTimeout: MAX_TIMER_MS,
      rotateBucketController: this.#rotator,
    }
    this.#bucketStartedAt = Date.now()
    this.#bucketEndsAt = this.#bucketStartedAt + this.#bucketMs
    this.#circuit = new CircuitBreaker(this.#action, { ...this.#opossumOptions })
    this.#attach(this.#circuit)
  }

  get circuit(): CircuitBreaker<TArgs, TResult> {
    return this.#circuit
  }

  get state(): BreakerState {
    const circuit = this.#circuit
    if (circuit.closed) return 'closed'
    if (circuit.halfOpen || this.#halfOpenDue(Date.now())) return 'halfOpen'
    return 'open'
  }

  get stats(): CircuitBreaker.Stats {
    this.#advanceWindow()
    return this.#circuit.stats
  }

  get retryAfterMs(): number {
    const circuit = this.#circuit
    if (circuit.closed) return 0
    if (circuit.halfOpen) return this.#probeWaitMs
    const now = Date.now()
    return Math.max(0, this.#openedAt + this.#resetTimeoutMs - now, this.#nextElectionAt - now)
  }

  /**
   * The hot path: a clock read and two comparisons in front of opossum's `fire()`. Outside an
   * invocation, store calls are bounded by the store's own limit (at most 5 s).
   */
  fire(...args: TArgs): Promise<TResult> {
    const now = Date.now()
    if (now >= this.#bucketEndsAt) this.#rotate(now)
    if (this.#store !== undefined) return this.#fireWithStore(args, SHARED_STORE_CALL_MS)
    if (this.#circuit.closed) return this.#circuit.fire(...args)
    if (this.#halfOpenDue(now)) this.#halfOpen('local')
    return this.#fireRefusable(args)
  }

  /**
   * `fire` for one invocation: the store calls it waits for end within the invocation's remaining
   * time (less a reserve). Without a store it is `fire`.
   */
  fireWithin(invocation: RemainingTimeSource, args: TArgs): Promise<TResult> {
    if (this.#store === undefined) return this.fire(...args)
    const now = Date.now()
    if (now >= this.#bucketEndsAt) this.#rotate(now)
    return this.#fireWithStore(args, remainingBudgetMs(invocation, SHARED_STORE_CALL_MS, STORE_RESERVE_MS))
  }

  /** This breaker as one invocation sees it on `context.breakers[name]`. */
  forInvocation(invocation: RemainingTimeSource): Breaker<TArgs, TResult> {
    return new InvocationBreaker(this, invocation)
  }

  #halfOpenDue(now: number): boolean {
    return this.#circuit.opened && now >= this.#openedAt + this.#resetTimeoutMs
  }

  /** opossum rejects an open call with its own error; callers get a `CircuitOpenError` instead. */
  #fireRefusable(args: TArgs): Promise<TResult> {
    return this.#circuit.fire(...args).catch((error: unknown) => {
      throw isOpenReject(error) ? this.#openError() : error
    })
  }

  #openError(reason?: CircuitOpenReason): CircuitOpenError {
    if (reason !== undefined) return new CircuitOpenError(this.name, this.retryAfterMs, 'open', reason)
    return this.#circuit.halfOpen
      ? new CircuitOpenError(this.name, this.#probeWaitMs, 'halfOpen', 'probe-in-flight')
      : new CircuitOpenError(this.name, this.retryAfterMs, 'open', 'open')
  }

  /** The user's fallback sees a `CircuitOpenError` rather than opossum's "Breaker is open". */
  #wrapFallback(fallback: (...argsAndError: unknown[]) => unknown) {
    return (...argsAndError: unknown[]): unknown => {
      const last = argsAndError.length - 1
      if (isOpenReject(argsAndError[last])) argsAndError[last] = this.#openError()
      return fallback(...argsAndError)
    }
  }

  #attach(circuit: CircuitBreaker<TArgs, TResult>): void {
    // Before opossum counts the failure and checks its threshold, so the check sees the window of now.
    circuit.prependListener('failure', this.#advanceWindow)
    circuit.on('open', this.#onOpen)
    circuit.on('close', this.#onClose)
    if (this.#fallback !== undefined) circuit.fallback(this.#fallback)
  }

  readonly #advanceWindow = (): void => {
    const now = Date.now()
    if (now >= this.#bucketEndsAt) this.#rotate(now)
  }

  /** Rotates opossum's buckets by the time that really passed, however long the process was frozen. */
  #rotate(now: number): void {
    const elapsed = Math.floor((now - this.#bucketStartedAt) / this.#bucketMs)
    for (let index = Math.min(elapsed, this.#buckets); index > 0; index--) this.#rotator.emit('rotate')
    this.#bucketStartedAt += elapsed * this.#bucketMs
    this.#bucketEndsAt = this.#bucketStartedAt + this.#bucketMs
  }

  /**
   * opossum goes half-open only from its own timer, which does not run while the process is frozen and
   * cannot be told the time the breaker opened elsewhere. Its documented re-hydration can start a breaker
   * half-open, so the breaker swaps in a re-hydrated opossum that keeps the same rolling window.
   */
  #halfOpen(source: BreakerSource): void {
    const previous = this.#circuit
    const circuit = new CircuitBreaker(this.#action, {
      ...this.#opossumOptions,
      allowWarmUp: false,
      status: previous.status,
      state: { enabled: previous.enabled, closed: false, halfOpen: true, warmUp: false, shutdown: false },
    } as CircuitBreaker.Options<TArgs>)
    previous.removeAllListeners()
    previous.close() // clears its reset timer; nobody listens any more
    this.#circuit = circuit
    this.#attach(circuit)
    this.#publish('breaker.half-open', source)
  }

  readonly #onOpen = (): void => {
    const source = this.#source
    if (source === 'local') this.#openedAt = Date.now()
    this.#publish('breaker.open', source)
    if (source === 'local' && this.#store !== undefined)
      this.#write({ state: 'open', openedAt: this.#openedAt })
  }

  readonly #onClose = (): void => {
    const source = this.#source
    this.#openedAt = 0
    this.#publish('breaker.close', source)
    if (source === 'local' && this.#store !== undefined) this.#write({ state: 'closed', openedAt: null })
  }

  #publish(type: BreakerLifecycleEvent['type'], source: BreakerSource): void {
    const { failures, successes, rejects, timeouts } = this.stats
    emitLifecycle({
      type,
      at: Date.now(),
      breaker: this.name,
      failures,
      successes,
      rejects,
      timeouts,
      source,
    })
  }

  // ---- fleet store ----------------------------------------------------------------------------------

  #owner(): string {
    this.#registry.owner ??= randomUUID()
    return this.#registry.owner
  }

  async #fireWithStore(args: TArgs, budgetMs: number): Promise<TResult> {
    const store = this.#store as BreakerStore
    let record: BreakerRecord | null
    try {
      record = await storeCall(
        () => store.get(this.name, { budgetMs, quiet: this.#quiet() }),
        budgetMs,
        'get',
      )
    } catch (error) {
      if (isOwnTimeout(error)) emitPackageWarning(PACKAGE, String(error), STORE_ERROR)
      return this.#refuse(args)
    }
    if (record !== null && record.version > this.#seenVersion) this.#adopt(record)
    const now = Date.now()
    // The election is shared by the container's callers; each waits for it only as long as it can.
    // One that stops waiting is refused below, as the breaker is still open.
    if (this.#halfOpenDue(now) && now >= this.#nextElectionAt) await withinMs(() => this.#elect(), budgetMs)
    try {
      return this.#circuit.closed ? await this.#circuit.fire(...args) : await this.#fireRefusable(args)
    } finally {
      // A transition this call caused is in the store before the invocation returns and the runtime
      // freezes, unless the store is slower than the invocation can wait.
      if (this.#writes !== null) await withinMs(() => this.#writes, budgetMs)
    }
  }

  /**
   * Closed with no failure in the window (advanced to now by the caller): nothing this container saw
   * suggests trouble, so the store may answer from an older read (see `StoreCall.quiet`).
   */
  #quiet(): boolean {
    const circuit = this.#circuit
    return circuit.closed && circuit.stats.failures === 0
  }

  /** The store is unreachable and fails closed: refuse as an open breaker would, fallback included. */
  async #refuse(args: TArgs): Promise<TResult> {
    const error = this.#openError('store-unavailable')
    if (this.#fallback === undefined) throw error
    return (await this.#fallback(...args, error)) as TResult
  }

  /** Applies a newer fleet record to the local breaker, without writing it back. */
  #adopt(record: BreakerRecord): void {
    this.#seenVersion = record.version
    const circuit = this.#circuit
    if (record.state === 'closed') {
      if (!circuit.closed) this.#fromStore(() => circuit.close())
      return
    }
    if (record.state === 'open') this.#nextElectionAt = 0
    if (record.state === 'halfOpen' && record.probeOwner === this.#owner()) return // we are the probe
    this.#openedAt = record.openedAt ?? Date.now()
    if (!circuit.opened) this.#fromStore(() => circuit.open())
  }

  #fromStore(transition: () => void): void {
    this.#source = 'store'
    try {
      transition()
    } finally {
      this.#source = 'local'
    }
  }

  /** One election per container at a time: concurrent callers share it, and only one becomes the probe. */
  #elect(): Promise<void> {
    this.#election ??= this.#runElection().finally(() => {
      this.#election = null
    })
    return this.#election
  }

  async #runElection(): Promise<void> {
    const now = Date.now()
    const leaseMs = this.#probeWaitMs + PROBE_LEASE_MARGIN_MS
    const store = this.#store as BreakerStore
    const election = { version: this.#seenVersion, owner: this.#owner(), leaseMs, now }
    let elected: BreakerRecord | null
    try {
      elected = await storeCall(
        () => store.electProbe(this.name, election),
        SHARED_STORE_CALL_MS,
        'electProbe',
      )
    } catch (error) {
      // A store that cannot hold an election elects nobody: look again after the lease.
      warnStoreError(error, 'election')
      elected = null
    }
    if (elected === null) {
      // Another container probes: look again once its lease could have run out.
      this.#nextElectionAt = now + leaseMs
      return
    }
    this.#seenVersion = elected.version
    if (this.#circuit.opened) this.#halfOpen('local')
  }

  /** Transitions are written in order; the calls that caused them wait for them (see `#fireWithStore`). */
  #write(next: Omit<BreakerWrite, 'owner'>): void {
    const write = (this.#writes ?? Promise.resolve())
      .then(() => this.#persist({ ...next, owner: this.#owner() }))
      .catch(warnStoreError)
    this.#writes = write
    void write.then(() => {
      if (this.#writes === write) this.#writes = null
    })
  }

  async #persist(next: BreakerWrite): Promise<void> {
    const store = this.#store as BreakerStore
    const written = await storeCall(
      () => store.compareAndSet(this.name, this.#seenVersion, next),
      SHARED_STORE_CALL_MS,
      'compareAndSet',
    )
    if (written !== null) {
      this.#seenVersion = written.version
      return
    }
    // Another container wrote first (or the store failed): look once more and reconcile.
    let fresh: BreakerRecord | null
    try {
      fresh = await storeCall(() => store.get(this.name), SHARED_STORE_CALL_MS, 'get')
    } catch {
      return
    }
    if (fresh !== null && fresh.state === next.state) {
      this.#seenVersion = fresh.version
    } else if (fresh === null || (next.state === 'open' && fresh.state === 'closed')) {
      const retried = await storeCall(
        () => store.compareAndSet(this.name, fresh?.version ?? 0, next),
        SHARED_STORE_CALL_MS,
        'compareAndSet',
      )
      if (retried !== null) this.#seenVersion = retried.version
    } else {
      this.#adopt(fresh)
    }
  }
}

/** opossum's defaults, so that leaving an option out and giving its default register the same breaker. */
const OPOSSUM_DEFAULTS = {
  timeout: 10_000,
  resetTimeout: 30_000,
  errorThresholdPercentage: 50,
  rollingCountTimeout: 10_000,
  rollingCountBuckets: 10,
  volumeThreshold: 0,
  enableSnapshots: false,
}

/** What makes a registration: compared when a name is registered again. */
const registrationOf = (config: Config<never, unknown>): Record<string, unknown> => ({
  action: config.action,
  fallback: config.fallback,
  store: config.store,
  options: { ...OPOSSUM_DEFAULTS, ...config.options },
})

/**
 * The container's breaker of that name, created on first use and shared by every invocation after.
 * A second registration under the same name with the same options gets the first one's breaker; with
 * other options it throws, naming what differs (functions and stores are compared by identity), since
 * it would otherwise run silently on the first one's options.
 */
export const registerBreaker = <TArgs extends unknown[], TResult>(
  config: Config<TArgs, TResult>,
): ContainerBreaker<TArgs, TResult> => {
  const registry = breakerRegistry()
  const existing = registry.breakers.get(config.name)
  if (existing === undefined) {
    const breaker = new ContainerBreaker(config, registry)
    registry.breakers.set(config.name, breaker as unknown as AnyBreaker)
    return breaker
  }
  const differences = differingOptions(
    existing.registration,
    registrationOf(config as Config<never, unknown>),
  )
  if (differences.length > 0) {
    throw optionError(
      PACKAGE,
      `circuitBreaker "${config.name}" is already registered in this runtime with other options: ` +
        `${describeDifferences(differences)} (first registration, then this one). Share one options ` +
        'object between the handlers, or give this breaker another name',
      'name',
    )
  }
  return existing as unknown as ContainerBreaker<TArgs, TResult>
}

/**
 * The breaker registered under `name` in this container, or undefined. Useful outside a handler
 * (a background task, a health endpoint) or from code that has no Middy context.
 *
 * @example
 * ```ts
 * const payments = getBreaker<[Order], Receipt>('payments')
 * if (payments?.state === 'open') console.log(`payments back in ${payments.retryAfterMs} ms`)
 * ```
 */
export const getBreaker = <TArgs extends unknown[] = unknown[], TResult = unknown>(
  name: string,
): Breaker<TArgs, TResult> | undefined =>
  breakerRegistry().breakers.get(name) as unknown as Breaker<TArgs, TResult> | undefined

/**
 * The container's breaker as one invocation holds it (`context.breakers[name]`): the same opossum
 * breaker and state, with the store calls of its `fire()` bounded by that invocation's remaining time.
 * It lives on that invocation's context only, so no other invocation ever waits by its clock.
 */
class InvocationBreaker<TArgs extends unknown[], TResult> implements Breaker<TArgs, TResult> {
  readonly #breaker: ContainerBreaker<TArgs, TResult>
  readonly #invocation: RemainingTimeSource

  constructor(breaker: ContainerBreaker<TArgs, TResult>, invocation: RemainingTimeSource) {
    this.#breaker = breaker
    this.#invocation = invocation
  }

  get name(): string {
    return this.#breaker.name
  }

  fire(...args: TArgs): Promise<TResult> {
    return this.#breaker.fireWithin(this.#invocation, args)
  }

  get state(): BreakerState {
    return this.#breaker.state
  }

  get stats(): CircuitBreaker.Stats {
    return this.#breaker.stats
  }

  get retryAfterMs(): number {
    return this.#breaker.retryAfterMs
  }

  get circuit(): CircuitBreaker<TArgs, TResult> {
    return this.#breaker.circuit
  }
}
