/**
 * The environments of one function: which one takes an invocation, when a new one starts, when one
 * is throttled, reaped or retired, and the queue of asynchronous (`Event`) invocations.
 */
import { deliverFailure, failureRecord, nextStep } from './async-invoke.js'
import {
  Environment,
  type EnvironmentContext,
  type Invocation,
  type InvocationResult,
} from './environment.js'
import type { ResolvedFunction } from './options.js'
import { type Throttle, throttleError } from './throttling.js'
import type {
  EmulatorEvent,
  EmulatorInitType,
  EnvironmentInfo,
  EnvironmentState,
  ShutdownReason,
} from './types.js'

export interface PoolContext {
  readonly logDir: string
  readonly runtimeClient: string
  /** Every function's use of concurrency and the account limit (the emulator's whole model). */
  throttle?(pool: FunctionPool): Throttle | null
  /** The AWS credentials a runtime started now gets. */
  credentialsEnv?(): Readonly<Record<string, string>>
  /** Where the runtimes send X-Ray segments: the emulator's receiver (`host:port`). */
  xrayDaemon?(): string | undefined
  emit(event: EmulatorEvent): void
}

/** What the pool asks of an environment: `Environment` is the real one; a test may pass its own. */
export interface PooledEnvironment {
  readonly id: string
  readonly initType: EmulatorInitType
  readonly createdAt: number
  readonly state: EnvironmentState
  /** Managed Instances: takes invocations while others run, never frozen. */
  readonly managed: boolean
  /** Invocations it can still take now or once initialized. */
  readonly capacity: number
  readonly lastActiveAt: number
  /** Answered its invocation; the runtime is about to ask for the next one. */
  readonly finishing: boolean
  readonly retiring: boolean
  readonly stopReason: ShutdownReason | null
  start(): Promise<void>
  assign(invocation: Invocation): void
  retire(): void
  shutdown(reason: ShutdownReason): Promise<void>
  info(): EnvironmentInfo
}

/** Makes the environments of a pool. */
export type EnvironmentFactory = (
  fn: ResolvedFunction,
  initType: EmulatorInitType,
  context: EnvironmentContext,
) => PooledEnvironment

const isThrottle = (picked: PooledEnvironment | 'new' | Throttle): picked is Throttle =>
  typeof picked === 'object' && 'reason' in picked

const realEnvironment: EnvironmentFactory = (fn, initType, context) => new Environment(fn, initType, context)

export class FunctionPool {
  readonly fn: ResolvedFunction
  readonly #context: PoolContext
  readonly #createEnvironment: EnvironmentFactory
  readonly #environments = new Set<PooledEnvironment>()
  readonly #eventQueue: Invocation[] = []
  /** Failed Events waiting for their next attempt, with what settles them if the pool stops first. */
  readonly #retries = new Map<NodeJS.Timeout, () => void>()
  #running = true

  constructor(fn: ResolvedFunction, context: PoolContext, createEnvironment = realEnvironment) {
    this.fn = fn
    this.#context = context
    this.#createEnvironment = createEnvironment
  }

  /** Starts the environments Lambda keeps initialized ahead and waits for their init. */
  async start(): Promise<void> {
    const ahead = this.fn.managedInstances?.environments ?? this.fn.provisioned
    await Promise.all(Array.from({ length: ahead }, () => this.#startAhead()))
  }

  #initTypeAhead(): EmulatorInitType {
    return this.fn.managedInstances ? 'lambda-managed-instances' : 'provisioned-concurrency'
  }

  #startAhead(): Promise<void> {
    const environment = this.#create(this.#initTypeAhead())
    return new Promise<void>((resolve) => {
      const check = (event: EmulatorEvent): void => {
        if (!('environment' in event) || event.environment.id !== environment.id) return
        if (event.type !== 'environment.ready' && event.type !== 'environment.stopped') return
        this.#waiters.delete(check)
        resolve()
      }
      this.#waiters.add(check)
    })
  }

  readonly #waiters = new Set<(event: EmulatorEvent) => void>()

  /** Adds the environment at once (so that the next pick counts it) and starts it in the background. */
  #create(initType: EmulatorInitType): PooledEnvironment {
    const context: EnvironmentContext = {
      logDir: this.#context.logDir,
      runtimeClient: this.#context.runtimeClient,
      ...(this.#context.credentialsEnv ? { credentialsEnv: this.#context.credentialsEnv } : {}),
      ...(this.#context.xrayDaemon ? { xrayDaemon: this.#context.xrayDaemon } : {}),
      emit: (event) => {
        for (const waiter of this.#waiters) waiter(event)
        this.#context.emit(event)
      },
      available: () => this.#drainEvents(),
      stopped: () => this.#onStopped(environment),
    }
    const environment = this.#createEnvironment(this.fn, initType, context)
    this.#environments.add(environment)
    void environment.start()
    return environment
  }

  environments(): PooledEnvironment[] {
    return [...this.#environments]
  }

  /**
   * Picks an environment: an idle one (the most recently used, so that the others can be reaped), else
   * one finishing its previous invocation, else one initializing with room, else a new one (a cold
   * start) below the concurrency limit.
   */
  /** Starts of new environments in the last scaling window, for the scaling rate. */
  readonly recentStarts: number[] = []

  /** Environments serving or about to serve an invocation: what counts against concurrency. */
  busy(): number {
    return this.environments().filter(
      (environment) =>
        environment.state === 'busy' ||
        (environment.state === 'initializing' && environment.initType === 'on-demand'),
    ).length
  }

  #pick(): PooledEnvironment | 'new' | Throttle {
    const withRoom = this.environments().filter((environment) => environment.capacity > 0)
    const idle = withRoom.filter((environment) => environment.state === 'idle' || environment.managed)
    if (idle.length > 0) return idle.reduce((a, b) => (b.lastActiveAt > a.lastActiveAt ? b : a))
    const finishing = withRoom.find((environment) => environment.finishing)
    if (finishing) return finishing
    const initializing = withRoom.find((environment) => environment.state === 'initializing')
    if (initializing) return initializing
    if (this.fn.managedInstances) {
      const message = `Rate Exceeded. ${this.fn.name}'s Managed Instances environments are at their capacity`
      return { reason: 'ConcurrentInvocationLimitExceeded', message }
    }
    return this.#context.throttle?.(this) ?? 'new'
  }

  /** Runs a synchronous invocation, or throws Lambda's throttling error. */
  invoke(invocation: Invocation): void {
    const picked: PooledEnvironment | 'new' | Throttle = this.#running
      ? this.#pick()
      : { reason: 'ConcurrentInvocationLimitExceeded', message: 'Rate Exceeded. The emulator is stopping' }
    if (isThrottle(picked)) {
      this.#context.emit({
        type: 'invocation.throttle',
        at: Date.now(),
        functionName: this.fn.name,
        reason: picked.reason,
        message: picked.message,
      })
      throw throttleError(picked)
    }
    const environment = picked === 'new' ? this.#startOnDemand() : picked
    environment.assign(invocation)
  }

  /**
   * Queues an asynchronous invocation; it runs when an environment has room. A failed attempt is
   * run again, with the same request id, as Lambda does; the invocation settles after its last one.
   */
  enqueue(invocation: Invocation): void {
    this.#queueAttempt(invocation, 1, Date.now())
  }

  #queueAttempt(invocation: Invocation, attempt: number, acceptedAt: number): void {
    const settle = (result: InvocationResult): void => {
      if (result.outcome === 'success' || !this.#running) invocation.settle(result)
      else this.#afterFailedAttempt(invocation, attempt, acceptedAt, result)
    }
    this.#eventQueue.push({ ...invocation, settle })
    this.#drainEvents()
  }

  #afterFailedAttempt(invocation: Invocation, attempt: number, acceptedAt: number, result: InvocationResult) {
    const step = nextStep(this.fn.asyncInvoke, attempt, acceptedAt, Date.now())
    const { name: functionName } = this.fn
    const { requestId } = invocation
    if (step.kind === 'retry') {
      const timer = setTimeout(() => {
        this.#retries.delete(timer)
        this.#queueAttempt(invocation, attempt + 1, acceptedAt)
      }, step.delayMs)
      this.#retries.set(timer, () => invocation.settle(result))
      this.#context.emit({
        type: 'invocation.retry',
        at: Date.now(),
        functionName,
        requestId,
        attempt: attempt + 1,
        delayMs: step.delayMs,
      })
      return
    }
    const destination = this.fn.asyncInvoke.onFailure
    const failed = {
      type: 'invocation.failed-event',
      functionName,
      requestId,
      condition: step.condition,
    } as const
    if (destination === null) {
      this.#context.emit({ ...failed, at: Date.now(), destination: null })
      invocation.settle(result)
      return
    }
    const record = failureRecord({
      requestId,
      functionArn: this.fn.arn,
      condition: step.condition,
      attempts: attempt,
      payload: invocation.payload,
      result,
    })
    deliverFailure(destination, record).then(
      (where) => this.#context.emit({ ...failed, at: Date.now(), destination: where }),
      (error: unknown) =>
        this.#context.emit({ ...failed, at: Date.now(), destination, error: (error as Error).message }),
    )
    // The invocation is finished for the emulator; the record's delivery goes on by itself.
    invocation.settle(result)
  }

  #startOnDemand(): PooledEnvironment {
    const now = Date.now()
    while (this.recentStarts.length > 0 && now - (this.recentStarts[0] as number) >= 10_000)
      this.recentStarts.shift()
    this.recentStarts.push(now)
    return this.#create('on-demand')
  }

  #drainEvents(): void {
    while (this.#running && this.#eventQueue.length > 0 && this.#canTake()) {
      this.invoke(this.#eventQueue.shift() as Invocation)
    }
  }

  #canTake(): boolean {
    return !isThrottle(this.#pick())
  }

  /** Idle reaping and maximum lifetime; Lambda keeps provisioned and Managed Instances environments while idle. */
  sweep(now: number): void {
    for (const environment of this.#environments) {
      if (now - environment.createdAt >= this.fn.maxLifetimeMs && !environment.retiring) environment.retire()
      const reapable = environment.initType === 'on-demand' && environment.state === 'idle'
      if (reapable && now - environment.lastActiveAt >= this.fn.idleTimeoutMs)
        void environment.shutdown('idle')
    }
  }

  #onStopped(environment: PooledEnvironment): void {
    this.#environments.delete(environment)
    // A provisioned or Managed Instances environment that retired is replaced; one that failed init is not.
    const keptAhead = environment.initType !== 'on-demand' && environment.stopReason !== 'init-failed'
    if (this.#running && keptAhead) void this.#startAhead()
    this.#drainEvents()
  }

  async stop(): Promise<void> {
    this.#running = false
    // A failed Event waiting for its next attempt is not run again: it ends with its last answer.
    for (const [timer, settle] of this.#retries) {
      clearTimeout(timer)
      settle()
    }
    this.#retries.clear()
    for (const invocation of this.#eventQueue.splice(0)) {
      invocation.settle({
        payload: '',
        functionError: false,
        outcome: 'success',
        logResult: undefined,
        environmentId: '',
      })
    }
    await Promise.all(this.environments().map((environment) => environment.shutdown('stop')))
  }
}
