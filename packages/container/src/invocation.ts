/**
 * Opening and closing invocations: the per-invocation hot path. Everything per invocation lives on the
 * Middy request (a symbol-keyed record) or in the runtime's invoke store, never in module scope.
 */
import { readEnvironmentId, readInitType } from './environment.js'
import { emitLifecycle } from './events.js'
import { type PreviousRuntime, takeOverRestartMarker } from './marker.js'
import { type ContainerState, containerState, epochOf } from './state.js'
import type {
  ContainerSnapshot,
  InitType,
  InvocationOutcome,
  InvocationView,
  LifecycleRequest,
  MiddyRequestLike,
  StartType,
} from './types.js'

const MANAGED_INSTANCES: InitType = 'lambda-managed-instances'

/** An on-demand runtime whose first request came this long after it started was initialized proactively. */
export const PROACTIVE_INIT_MS = 10_000

export interface InvocationSettings {
  readonly header: string | undefined
  readonly thawThresholdMs: number
  readonly restartMarker: boolean
}

/** What the middleware keeps on the request between its phases. */
interface InvocationRecord {
  /** The state that opened it: the invocation ends against it even if the state was reset meanwhile. */
  readonly state: ContainerState
  readonly view: InvocationView
  readonly startMs: number
  readonly settings: InvocationSettings
  /**
   * False until the handler (or a middleware) produced a response; tells an early return apart. Under
   * the Middy plugin (`@lambda-lifetime/container/middy`): true once the handler was called.
   */
  responded: boolean
  ended: boolean
}

const RECORD = Symbol('lambda-lifetime.invocation')
const RESPONSE = Symbol('lambda-lifetime.response')
/** Set by the Middy plugin on the requests it runs: it sees their end itself, no accessor needed. */
const PLUGIN_RUN = Symbol('lambda-lifetime.plugin-run')
/** Key of the view in the runtime's invoke store (`globalThis.awslambda.InvokeStore`). */
const STORE_KEY = Symbol.for('lambda-lifetime.invocation')

type TrackedRequest = MiddyRequestLike & {
  [RECORD]?: InvocationRecord
  [RESPONSE]?: unknown
  [PLUGIN_RUN]?: true
}

interface InvokeStoreLike {
  hasContext(): boolean
  get(key: symbol): unknown
  set(key: symbol, value: unknown): void
}

const invokeStore = (): InvokeStoreLike | undefined =>
  (globalThis as { awslambda?: { InvokeStore?: InvokeStoreLike } }).awslambda?.InvokeStore

/**
 * Middy skips every later phase when a middleware returns early (from `before`, `after` or `onError`),
 * so `after`/`onError` alone cannot see the end of every invocation. Every early return goes through
 * `request.response = request.earlyResponse`, though: an accessor on `response` sees it. It is the
 * largest part of this middleware's cost: V8 turns a request whose data property became an accessor into
 * a dictionary-mode object (measured in bench/README.md); no cheaper hook in Middy 7 sees early returns.
 */
const responseProperty: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: TrackedRequest) {
    return this[RESPONSE]
  },
  set(this: TrackedRequest, value: unknown) {
    this[RESPONSE] = value
    const record = this[RECORD]
    if (record === undefined || record.ended) return
    if ('earlyResponse' in this) {
      endInvocation(this, this.error != null ? 'error' : record.responded ? 'success' : 'early-return')
    } else if (value !== undefined) {
      record.responded = true
    }
  },
}

const firstInvocation = (state: ContainerState, settings: InvocationSettings): PreviousRuntime | null => {
  // The Web Crypto global, not `node:crypto`: importing that module cost more than the rest of this
  // package's import (bench/README.md, cold cost); the global loads its part on this first call only.
  const containerId = crypto.randomUUID()
  state.containerId = containerId
  state.environmentId = readEnvironmentId()
  state.initType = readInitType()
  const previous = settings.restartMarker
    ? takeOverRestartMarker({
        containerId,
        environmentId: state.environmentId,
        workerId: state.workerId,
        startedAt: epochOf(state.originMs),
      })
    : null
  state.restartOf = previous?.containerId ?? null
  return previous
}

const startTypeOf = (state: ContainerState, first: boolean, sinceStartMs: number): StartType => {
  if (!first) return 'warm'
  if (state.initType === 'on-demand') return sinceStartMs >= PROACTIVE_INIT_MS ? 'pre-initialized' : 'cold'
  return state.initType === 'snap-start' ? 'cold' : 'pre-initialized'
}

const requestIdOf = (context: unknown): string | null => {
  const id =
    typeof context === 'object' && context !== null
      ? (context as { awsRequestId?: unknown }).awsRequestId
      : null
  return typeof id === 'string' ? id : null
}

/** Opens an invocation: counts it, builds its view, hands it to the handler and the listeners. */
export const beginInvocation = (request: MiddyRequestLike, settings: InvocationSettings): InvocationView => {
  const tracked = request as TrackedRequest
  const previousRecord = tracked[RECORD]
  if (previousRecord !== undefined) return previousRecord.view // the middleware is used twice in one chain
  const state = containerState()
  const nowMs = performance.now()
  const first = state.containerId === null
  const previous = first ? firstInvocation(state, settings) : null
  const ageMs = nowMs - state.originMs
  const idleMs = state.inFlight === 0 && state.lastEndMs >= 0 ? nowMs - state.lastEndMs : 0
  const startType = startTypeOf(state, first, ageMs)
  const view: InvocationView = Object.freeze({
    containerId: state.containerId as string,
    environmentId: state.environmentId,
    workerId: state.workerId,
    initType: state.initType,
    startType,
    coldStart: startType === 'cold',
    invocation: ++state.invocations,
    inFlight: ++state.inFlight,
    ageMs,
    idleMs,
    restartOf: state.restartOf,
    requestId: requestIdOf(request.context),
    startedAt: epochOf(nowMs),
  })
  const record: InvocationRecord = { state, view, startMs: nowMs, settings, responded: false, ended: false }
  tracked[RECORD] = record
  state.lastRecord = record
  if (tracked[PLUGIN_RUN] !== true) {
    tracked[RESPONSE] = request.response
    Object.defineProperty(request, 'response', responseProperty)
  }
  const context = request.context
  if (typeof context === 'object' && context !== null && !Object.isFrozen(context)) {
    ;(context as { container?: InvocationView }).container = view
  }
  const store = invokeStore()
  if (store?.hasContext()) store.set(STORE_KEY, record)
  if (state.listeners.length > 0) emitStartEvents(state, view, request, first, previous, settings)
  return view
}

const emitStartEvents = (
  state: ContainerState,
  view: InvocationView,
  request: LifecycleRequest,
  first: boolean,
  previous: PreviousRuntime | null,
  settings: InvocationSettings,
): void => {
  const at = view.startedAt
  if (first) {
    emitLifecycle({
      type: 'container.start',
      at,
      container: snapshotOf(state),
      view,
      sinceRuntimeStartMs: view.ageMs,
    })
    if (previous !== null) {
      emitLifecycle({
        type: 'container.restart',
        at,
        view,
        restartOf: previous.containerId,
        previousStartedAt: previous.startedAt,
      })
    }
  }
  if (view.idleMs > settings.thawThresholdMs)
    emitLifecycle({ type: 'container.thaw', at, view, idleMs: view.idleMs })
  emitLifecycle({ type: 'invocation.start', at, view, request })
}

const isHttpResponse = (response: unknown): response is { statusCode: unknown; headers?: unknown } =>
  typeof response === 'object' && response !== null && 'statusCode' in response

const stampHeader = (response: unknown, header: string, containerId: string): void => {
  if (!isHttpResponse(response)) return
  try {
    const headers = response.headers
    if (typeof headers === 'object' && headers !== null)
      (headers as Record<string, string>)[header] = containerId
    else response.headers = { [header]: containerId }
  } catch {
    // A frozen response keeps its headers; the invocation is not worth failing for a header.
  }
}

/** Closes an invocation exactly once, whichever path Middy took to its end. */
export const endInvocation = (request: MiddyRequestLike, outcome: InvocationOutcome): void => {
  const tracked = request as TrackedRequest
  const record = tracked[RECORD]
  if (record === undefined || record.ended) return
  record.ended = true
  const nowMs = performance.now()
  const state = record.state
  state.inFlight--
  state.lastEndMs = nowMs
  const header = record.settings.header
  if (header !== undefined) stampHeader(tracked.response, header, record.view.containerId)
  if (state.listeners.length > 0) {
    emitLifecycle({
      type: 'invocation.end',
      at: epochOf(nowMs),
      view: record.view,
      request,
      durationMs: nowMs - record.startMs,
      outcome,
    })
  }
}

/** The plugin's part, before Middy runs the request: its end will come through `endPluginRun`. */
export const startPluginRun = (request: MiddyRequestLike): void => {
  ;(request as TrackedRequest)[PLUGIN_RUN] = true
}

/** The plugin's part, when Middy calls the handler: the invocation got past every `before`. */
export const noteHandlerCalled = (request: MiddyRequestLike): void => {
  const record = (request as TrackedRequest)[RECORD]
  if (record !== undefined) record.responded = true
}

/**
 * The plugin's part, at Middy's `requestEnd` (every path: success, error, early return anywhere): ends
 * the invocation unless `after`/`onError` of the middleware already did.
 */
export const endPluginRun = (request: MiddyRequestLike): void => {
  const record = (request as TrackedRequest)[RECORD]
  if (record === undefined || record.ended) return
  endInvocation(request, request.error != null ? 'error' : record.responded ? 'success' : 'early-return')
}

/**
 * The view of the invocation running in the current async context, or undefined outside one.
 * Under the Lambda runtime it comes from the invoke store, which is right under Managed Instances
 * concurrency; elsewhere it is the single running invocation, and undefined when several run.
 *
 * @example
 * ```ts
 * const view = currentInvocation()
 * if (view) metrics.addDimension('container', view.containerId)
 * ```
 */
export const currentInvocation = (): InvocationView | undefined => {
  const store = invokeStore()
  if (store?.hasContext()) {
    // The store knows which invocation this code runs for; one that has not opened (or has ended) has no
    // view here, whatever else runs: never fall back on another invocation's.
    const record = store.get(STORE_KEY) as InvocationRecord | undefined
    return record === undefined || record.ended ? undefined : record.view
  }
  const state = containerState()
  // Under Managed Instances, code outside every context of a running store runs for no invocation (Init,
  // a timer set then): no fallback on the invocation that happens to run alone.
  if (store !== undefined && state.initType === MANAGED_INSTANCES) return undefined
  const last = state.lastRecord
  return state.inFlight === 1 && last !== null && !last.ended ? last.view : undefined
}

const snapshotOf = (state: ContainerState): ContainerSnapshot =>
  Object.freeze({
    containerId: state.containerId,
    environmentId: state.containerId === null ? readEnvironmentId() : state.environmentId,
    workerId: state.workerId,
    initType: state.containerId === null ? readInitType() : state.initType,
    startedAt: epochOf(state.originMs),
    ageMs: performance.now() - state.originMs,
    invocations: state.invocations,
    inFlight: state.inFlight,
    restartOf: state.restartOf,
    shuttingDown: state.shuttingDown,
  })

/**
 * The container-level snapshot: ids, init type, start time, invocations so far, in flight.
 *
 * @example
 * ```ts
 * const { containerId, invocations, ageMs } = getContainer()
 * ```
 */
export const getContainer = (): ContainerSnapshot => snapshotOf(containerState())

export { snapshotOf }
