/**
 * Public types of @lambda-lifetime/container.
 *
 * Middy is an optional peer: the middleware types below are structural look-alikes of
 * `@middy/core`'s `Request` and `MiddlewareObj`, so `.use(containerLifetime())` infers
 * `context.container` without this package importing Middy.
 */

/** How Lambda initialized this runtime (`AWS_LAMBDA_INITIALIZATION_TYPE`). */
export type InitType = 'on-demand' | 'provisioned-concurrency' | 'snap-start' | 'lambda-managed-instances'

/**
 * How the first invocation of a runtime met its init:
 * - `cold`: a request waited for the init (on-demand, first invocation soon after start);
 * - `pre-initialized`: the init finished before any request needed it (provisioned concurrency,
 *   Managed Instances, or an on-demand proactive init whose first request came 10 s or more later);
 * - `warm`: every later invocation.
 */
export type StartType = 'cold' | 'warm' | 'pre-initialized'

/** How an invocation ended, as seen by the middleware chain. */
export type InvocationOutcome = 'success' | 'error' | 'early-return'

/** The immutable view of one invocation, put on `context.container`. */
export interface InvocationView {
  /** Random UUID of this runtime, minted on its first invocation (never at import: SnapStart-safe). */
  readonly containerId: string
  /** The log stream name when it is a real Lambda one (`YYYY/MM/DD/[version]<32 hex>`), else null. */
  readonly environmentId: string | null
  /** `worker_threads.threadId`: Managed Instances run one runtime per worker thread. */
  readonly workerId: number
  readonly initType: InitType
  readonly startType: StartType
  /** True only for the first invocation of a runtime whose init was on the request path. */
  readonly coldStart: boolean
  /** 1-based sequence number of this invocation in this runtime. */
  readonly invocation: number
  /** Invocations running in this runtime now, this one included (above 1 only under Managed Instances). */
  readonly inFlight: number
  /** Milliseconds since the runtime started. */
  readonly ageMs: number
  /** Milliseconds since the previous invocation ended while none ran (the freeze, in classic mode); 0 otherwise. */
  readonly idleMs: number
  /** containerId of the runtime this one replaced in the same environment after a crash or timeout. */
  readonly restartOf: string | null
  /** `context.awsRequestId`, or null when the context has none. */
  readonly requestId: string | null
  /** Epoch milliseconds at which this invocation started. */
  readonly startedAt: number
}

/** The container-level snapshot returned by `getContainer()`. */
export interface ContainerSnapshot {
  /** Null until the first invocation of this runtime. */
  readonly containerId: string | null
  readonly environmentId: string | null
  readonly workerId: number
  readonly initType: InitType
  /** Epoch milliseconds at which the runtime started. */
  readonly startedAt: number
  readonly ageMs: number
  /** Invocations started so far in this runtime. */
  readonly invocations: number
  readonly inFlight: number
  readonly restartOf: string | null
  /** True once SIGTERM arrived and the shutdown hooks started. */
  readonly shuttingDown: boolean
}

/** The parts of a Middy request a lifecycle listener may read. */
export interface LifecycleRequest {
  readonly event: unknown
  readonly context: unknown
  readonly response: unknown
  readonly error: unknown
}

interface EventBase<TType extends string> {
  readonly type: TType
  /** Epoch milliseconds. */
  readonly at: number
}

export interface ContainerStartEvent extends EventBase<'container.start'> {
  readonly container: ContainerSnapshot
  /** The first invocation of the runtime. */
  readonly view: InvocationView
  /** Milliseconds from runtime start to this first invocation. */
  readonly sinceRuntimeStartMs: number
}

export interface ContainerRestartEvent extends EventBase<'container.restart'> {
  readonly view: InvocationView
  /** containerId of the runtime that died in this environment. */
  readonly restartOf: string
  /** Epoch milliseconds at which that runtime had started. */
  readonly previousStartedAt: number | null
}

export interface InvocationStartEvent extends EventBase<'invocation.start'> {
  readonly view: InvocationView
  readonly request: LifecycleRequest
}

export interface InvocationEndEvent extends EventBase<'invocation.end'> {
  readonly view: InvocationView
  readonly request: LifecycleRequest
  readonly durationMs: number
  readonly outcome: InvocationOutcome
}

export interface ContainerThawEvent extends EventBase<'container.thaw'> {
  readonly view: InvocationView
  readonly idleMs: number
}

export interface ContainerShutdownEvent extends EventBase<'container.shutdown'> {
  readonly container: ContainerSnapshot
  readonly reason: 'SIGTERM'
}

/**
 * Every lifecycle event by its `type`. Sibling packages add their own events by declaration
 * merging (`declare module '@lambda-lifetime/container' { interface LifecycleEventMap { ... } }`),
 * so one typed bus carries pool and breaker events too.
 */
export interface LifecycleEventMap {
  'container.start': ContainerStartEvent
  'container.restart': ContainerRestartEvent
  'invocation.start': InvocationStartEvent
  'invocation.end': InvocationEndEvent
  'container.thaw': ContainerThawEvent
  'container.shutdown': ContainerShutdownEvent
}

export type LifecycleEventType = keyof LifecycleEventMap
export type LifecycleEvent = LifecycleEventMap[LifecycleEventType]
export type LifecycleListener = (event: LifecycleEvent) => void

export interface ContainerLifetimeOptions {
  /**
   * Header name that carries the containerId on HTTP-shaped responses (objects with a `statusCode`).
   * Off by default: it discloses an internal identifier to callers.
   */
  header?: string | false
  /** Idle gap, in ms, above which the next invocation emits `container.thaw`. Default 10 000. */
  thawThresholdMs?: number
  /**
   * Keep a small marker file in the temp directory (`os.tmpdir()`, `/tmp` in Lambda) so that a runtime
   * started after a crash or timeout in the same environment reports `restartOf`. Default true.
   */
  restartMarker?: boolean
}

export interface ShutdownHookOptions {
  /** Shown in warnings and in the shutdown report. Defaults to the function's name. */
  name?: string
  /** The most this hook may take; it also never runs past the overall budget. */
  timeoutMs?: number
}

export type ShutdownHook = () => unknown

export interface ShutdownHookReport {
  readonly name: string
  readonly status: 'ok' | 'error' | 'timeout' | 'skipped'
  readonly durationMs: number
}

export interface GracefulShutdownOptions {
  /** Name the internal extension registers under. Default `lambda-lifetime`. */
  extensionName?: string
  /** Overall budget for the shutdown hooks, in ms. Default 400 (Lambda gives the runtime 500). */
  budgetMs?: number
  /** Call `process.exit(0)` once the hooks are done. Default true, as Node would without a listener. */
  exitAfterShutdown?: boolean
}

export type GracefulShutdownResult =
  | { readonly enabled: true; readonly extensionId: string; readonly extensionName: string }
  | { readonly enabled: false; readonly reason: string }

/** The context fields this package adds for the handler. */
export interface ContainerContext {
  container: InvocationView
}

/** Structural look-alike of `@middy/core`'s `Request`. */
export interface MiddyRequestLike<TEvent = unknown, TResult = unknown, TErr = unknown, TContext = object> {
  event: TEvent
  context: TContext
  response: TResult | null | undefined
  earlyResponse?: TResult | null | undefined
  error: TErr | null | undefined
  internal: Record<string, unknown>
}

/** Structural look-alike of `@middy/core`'s `MiddlewareObj`. */
export interface MiddlewareLike<TEvent = unknown, TResult = unknown, TErr = unknown, TContext = object> {
  before?: (request: MiddyRequestLike<TEvent, TResult, TErr, TContext>) => unknown
  after?: (request: MiddyRequestLike<TEvent, TResult, TErr, TContext>) => unknown
  onError?: (request: MiddyRequestLike<TEvent, TResult, TErr, TContext>) => unknown
}
