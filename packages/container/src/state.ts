/**
 * The container state: one per runtime thread, shared by every copy of this package that the
 * function bundles (version skew, double bundling) through a global symbol.
 */
import { threadId } from 'node:worker_threads'
import type { InitType, InvocationView, LifecycleListener, ShutdownHook } from './types.js'

export interface RegisteredHook {
  readonly hook: ShutdownHook
  readonly name: string
  readonly timeoutMs: number | undefined
}

export interface ContainerState {
  readonly version: 1
  /** `performance.now()` at runtime start: 0, since the clock starts with the runtime. */
  originMs: number
  containerId: string | null
  environmentId: string | null
  initType: InitType
  restartOf: string | null
  readonly workerId: number
  invocations: number
  inFlight: number
  /** The last invocation opened: `currentInvocation()` falls back on it when no invoke store runs. */
  lastRecord: { readonly view: InvocationView; readonly ended: boolean } | null
  /** `performance.now()` when the last invocation ended; -1 before the first. */
  lastEndMs: number
  listeners: LifecycleListener[]
  readonly hooks: RegisteredHook[]
  /** This package's SIGTERM listener, once installed: kept so that a reset removes exactly it. */
  sigtermListener: (() => void) | null
  shuttingDown: boolean
  shutdownBudgetMs: number
  exitAfterShutdown: boolean
  extension: Promise<unknown> | null
  /** The running or finished shutdown, once SIGTERM arrived. */
  shutdown: Promise<unknown> | null
}

const STATE_KEY = Symbol.for('lambda-lifetime.container')
/** Under 500 ms, the budget Lambda gives a runtime with an internal extension, to leave time to exit. */
export const DEFAULT_SHUTDOWN_BUDGET_MS = 400

type StateHolder = { [STATE_KEY]?: ContainerState }

const createState = (): ContainerState => ({
  version: 1,
  originMs: 0,
  containerId: null,
  environmentId: null,
  initType: 'on-demand',
  restartOf: null,
  workerId: threadId,
  invocations: 0,
  inFlight: 0,
  lastRecord: null,
  lastEndMs: -1,
  listeners: [],
  hooks: [],
  sigtermListener: null,
  shuttingDown: false,
  shutdownBudgetMs: DEFAULT_SHUTDOWN_BUDGET_MS,
  exitAfterShutdown: true,
  extension: null,
  shutdown: null,
})

export const containerState = (): ContainerState => {
  const holder = globalThis as StateHolder
  let state = holder[STATE_KEY]
  if (state === undefined) {
    state = createState()
    holder[STATE_KEY] = state
  }
  return state
}

/** Drops the state; the next `containerState()` makes a new one. */
export const forgetContainerState = (): void => {
  delete (globalThis as StateHolder)[STATE_KEY]
}

/** Epoch milliseconds for a `performance.now()` reading. */
export const epochOf = (monotonicMs: number): number => performance.timeOrigin + monotonicMs
