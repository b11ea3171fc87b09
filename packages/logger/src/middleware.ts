/**
 * The middleware and its one lifecycle listener. Per-invocation state lives on the Middy request (the
 * claim, the timeout timer, the thrown error) or in Powertools' invocation-scoped stores (the context and
 * temporary keys, which Powertools 2.36 keeps in the runtime's invoke store under Managed Instances),
 * never in this closure.
 *
 * Several lifecycleLoggers can live in one process (two handlers bundled together, each with its own
 * Logger), and every one of them hears every container event. So each invocation has one owner: the
 * lifecycleLogger whose `before` runs first in its chain. The container emits `invocation.start` in
 * its own `before`, before any logger's; the first listener leaves a claim on the request and the owner
 * takes it up in its `before`. Lines about an invocation go through its owner only.
 */
import { clampTimerMs, isRecord, warnOnce } from '@lambda-lifetime/commons'
import {
  type ContainerStartEvent,
  type ContainerThawEvent,
  currentInvocation,
  getContainer,
  type InvocationEndEvent,
  type InvocationStartEvent,
  type InvocationView,
  type LifecycleEvent,
  type MiddlewareLike,
  type MiddyRequestLike,
  onLifecycle,
  onShutdown,
} from '@lambda-lifetime/container'
import { INVOCATION_KEYS } from './keys.js'
import {
  containerShutdownLine,
  containerStartLine,
  containerThawLine,
  invocationEndLine,
  isSiblingEvent,
  NOT_AN_INVOCATION,
  type SampleMarks,
  siblingEventLine,
  timeoutWarningLine,
} from './lines.js'
import { DEFAULT_LEVELS, defaults, lifecycleLoggerValidateOptions, PACKAGE } from './options.js'
import { isClientError, statusCodeOf, trackThrownError } from './outcome.js'
import { createRedaction, type Redaction, sanitizeEvent } from './redact.js'
import type {
  LifecycleLevel,
  LifecycleLevelKey,
  LifecycleLoggerOptions,
  LifecycleLoggerTarget,
  LifecycleSampling,
} from './types.js'

type Level = LifecycleLevel | false
type Context = Parameters<LifecycleLoggerTarget['addContext']>[0]
type OpeningEvent = ContainerStartEvent | ContainerThawEvent

interface Settings {
  readonly loggers: readonly LifecycleLoggerTarget[]
  /** The logger lifecycle lines go through: the first one. */
  readonly writer: LifecycleLoggerTarget
  readonly levels: Readonly<Record<string, Level>>
  readonly endSampleRate: number
  /** Per-container sampling of `invocation.end` lines, when set (and `oneIn` above 1). */
  readonly sampling: Required<LifecycleSampling> | undefined
  /** The sampling as `container.start` tells it (either kind), or undefined when every line is written. */
  readonly samplingMarks: SampleMarks | undefined
  readonly timeoutWarningMs: number | false
  readonly redaction: Redaction | undefined
  readonly resetKeys: boolean
  readonly correlationIdPath: string | undefined
  readonly flushBufferOnUncaughtError: boolean
  /** Key of this middleware's timeout timer on the Middy request. */
  readonly timerKey: symbol
  readonly shared: Shared
  /** Container id the loggers' persistent keys were set for. */
  stampedContainerId: string | null
  /**
   * `container.start` and `container.thaw` of the invocation being opened. The container emits them just
   * before `invocation.start`, in one synchronous run, so no other invocation can come in between; they
   * wait here for `invocation.start`, which carries the request their lines belong to.
   */
  opening: OpeningEvent[]
}

/** Left on the Middy request by the first listener that hears `invocation.start`. */
interface Claim {
  readonly start: InvocationStartEvent
  /** Its `container.start` and `container.thaw`, written once the owner has the Lambda context. */
  readonly opening: readonly OpeningEvent[]
  owner: Settings | undefined
}

/** Shared through the global registry, like the container's state: two bundled copies agree on owners. */
const CLAIM = Symbol.for('lambda-lifetime.logger.claim')
const SHARED = Symbol.for('lambda-lifetime.logger')

interface Shared {
  /** lifecycleLoggers created in this process. With one, it writes everything and keeps no owners. */
  instances: number
  /** The owner of each open invocation, for the sibling events written during it (GC'd with the view). */
  readonly owners: WeakMap<InvocationView, Settings>
  /** Events without an owner (shutdown, sibling events between invocations) already written once. */
  readonly written: WeakSet<object>
}

const sharedState = (): Shared => {
  const holder = globalThis as { [SHARED]?: Shared }
  holder[SHARED] ??= { instances: 0, owners: new WeakMap(), written: new WeakSet() }
  return holder[SHARED]
}

/** True for the first listener that asks about this event object: it writes it, the others do not. */
const firstToWrite = (shared: Shared, event: object): boolean => {
  if (shared.instances === 1) return true
  if (shared.written.has(event)) return false
  shared.written.add(event)
  return true
}

type ClaimedRequest = MiddyRequestLike & { [CLAIM]?: Claim }
type TimedRequest = MiddyRequestLike & Record<symbol, ReturnType<typeof setTimeout> | undefined>

const NO_OPENING: readonly OpeningEvent[] = Object.freeze([])

/** Every kind has a level: its own, or its family's (`breaker.*`, `pool.*`), which always has a default. */
const levelOf = (settings: Settings, kind: string): Level =>
  (settings.levels[kind] ?? settings.levels[`${kind.slice(0, kind.indexOf('.'))}.*`]) as Level

/** Writes one lifecycle line: its event name is the message (schema 2 has no `event` key). */
const write = (settings: Settings, level: Level, event: string, attributes: object): void => {
  if (level !== false) settings.writer[level](event, attributes as Record<string, unknown>)
}

/**
 * The container id and the keys of the current invocation, appended once per runtime as persistent
 * keys: the id is constant, the invocation's keys are read when each line is written (see keys.ts).
 */
const stampKeys = (settings: Settings, view: InvocationView): void => {
  if (settings.stampedContainerId === view.containerId) return
  settings.stampedContainerId = view.containerId
  const keys = { container_id: view.containerId, ...INVOCATION_KEYS }
  for (const logger of settings.loggers) logger.appendPersistentKeys(keys)
}

/**
 * Takes the held `container.start`/`container.thaw` for this invocation. Only those of this very view:
 * one emitted by hand outside an invocation must not end up on the next request's lines.
 */
const takeOpening = (settings: Settings, view: InvocationView): readonly OpeningEvent[] => {
  if (settings.opening.length === 0) return NO_OPENING
  const opening = settings.opening.filter((event) => event.view === view)
  settings.opening = []
  return opening
}

/** `invocation.start`: the first listener leaves the claim on the request, for the owner to take up. */
const claimInvocation = (settings: Settings, event: InvocationStartEvent): void => {
  const opening = takeOpening(settings, event.view)
  const request = event.request as ClaimedRequest
  if (request[CLAIM] !== undefined) return
  trackThrownError(request)
  request[CLAIM] = { start: event, opening, owner: undefined }
}

/**
 * Opens the invocation on every logger of its owner, in the invocation's own async context: the Lambda
 * context (Powertools scopes it per invocation under Managed Instances) and the correlation id. Then
 * writes the container lines the container emitted for this invocation, which now carry them too.
 */
const openInvocation = (settings: Settings, claim: Claim): void => {
  claim.owner = settings
  const { view, request } = claim.start
  // A WeakMap entry costs about 0.5 µs: kept only when another lifecycleLogger could claim the event.
  if (settings.shared.instances > 1) settings.shared.owners.set(view, settings)
  stampKeys(settings, view)
  const context = request.context
  for (const logger of settings.loggers) {
    // As Powertools' injectLambdaContext does, so debug sampling is decided per invocation.
    logger.refreshSampleRateCalculation()
    // Also with a context missing its fields: the previous request's id must not stay on the logger.
    logger.addContext(context as Context)
    if (settings.correlationIdPath !== undefined) {
      logger.setCorrelationId(request.event, settings.correlationIdPath)
    }
  }
  for (const started of claim.opening) {
    const level = levelOf(settings, started.type)
    if (started.type === 'container.start')
      write(settings, level, started.type, containerStartLine(started, settings.samplingMarks))
    else write(settings, level, started.type, containerThawLine(started.view))
  }
}

/** What the sampling decides for one `invocation.end` line: not written, or written with these marks. */
const SAMPLED_OUT = 'sampled-out'
const STANDS_FOR_ITSELF: SampleMarks = Object.freeze({ sample_rate: 1 })

/**
 * Per-container sampling: the first `first` invocations of a runtime are all written, then one in
 * `oneIn` (invocation numbers first + oneIn, first + 2 oneIn, ...), decided from the invocation number
 * alone so that a reader can tell a line sampled out from a line lost. The lines kept by the rule say so
 * (`sample_rate`, `sample_first`); a line kept off the rule because its invocation went wrong says it
 * stands for itself (`sample_rate: 1`).
 */
const perContainerMarks = (
  sampling: Required<LifecycleSampling>,
  invocation: number,
  mustWrite: boolean,
): SampleMarks | undefined | typeof SAMPLED_OUT => {
  const { first, oneIn } = sampling
  if (invocation <= first) return undefined
  if ((invocation - first) % oneIn === 0) return { sample_rate: 1 / oneIn, sample_first: first }
  return mustWrite ? STANDS_FOR_ITSELF : SAMPLED_OUT
}

/** Random sampling (`endSampleRate`): kept successes stand for 1 / rate invocations, failures for themselves. */
const randomMarks = (rate: number, mustWrite: boolean): SampleMarks | undefined | typeof SAMPLED_OUT => {
  if (rate === 1) return undefined
  if (mustWrite) return STANDS_FOR_ITSELF
  return Math.random() < rate ? { sample_rate: rate } : SAMPLED_OUT
}

/** Errors and 4xx answers are always written, whatever the sampling: their counts stay exact. */
const endMarksOf = (settings: Settings, event: InvocationEndEvent, status: number | undefined) => {
  const mustWrite = event.outcome === 'error' || (status !== undefined && status >= 400)
  return settings.sampling === undefined
    ? randomMarks(settings.endSampleRate, mustWrite)
    : perContainerMarks(settings.sampling, event.view.invocation, mustWrite)
}

const endKindOf = (event: InvocationEndEvent, status: number | undefined): LifecycleLevelKey => {
  if (event.outcome !== 'error') return 'invocation.end'
  return isClientError(status) ? 'invocation.end.client-error' : 'invocation.end.error'
}

/**
 * Closes the invocation: stops its timer, writes its summary line (with the invocation's temporary keys
 * still on it), drops its buffered logs and its temporary keys. The container emits `invocation.end`
 * exactly once on every path (success, error, an early return, Middy's early timeout), so this is the
 * one place that cleans up.
 */
const closeInvocation = (settings: Settings, event: InvocationEndEvent): void => {
  const timer = (event.request as TimedRequest)[settings.timerKey]
  if (timer !== undefined) clearTimeout(timer)
  const failed = event.outcome === 'error'
  if (failed && settings.flushBufferOnUncaughtError) {
    for (const logger of settings.loggers) logger.flushBuffer()
  }
  const status = statusCodeOf(event.request.response)
  const marks = endMarksOf(settings, event, status)
  if (marks !== SAMPLED_OUT) {
    const line = invocationEndLine(event, status, marks)
    write(settings, levelOf(settings, endKindOf(event, status)), event.type, line)
  }
  for (const logger of settings.loggers) {
    // As injectLambdaContext does: buffered logs of an invocation are printed only when it fails (an
    // error-level line flushes them), else dropped.
    logger.clearBuffer()
    if (settings.resetKeys) logger.resetKeys()
  }
}

/** `invocation.end` through its owner; an invocation no logger's `before` reached goes to the first listener. */
const endInvocation = (settings: Settings, event: InvocationEndEvent): void => {
  const claim = (event.request as ClaimedRequest)[CLAIM]
  if (claim === undefined) return
  if (claim.owner === undefined) openInvocation(settings, claim)
  else if (claim.owner !== settings) return
  closeInvocation(settings, event)
}

const writeSiblingEvent = (settings: Settings, event: LifecycleEvent): void => {
  const view = currentInvocation()
  const owner = view === undefined ? undefined : settings.shared.owners.get(view)
  if (owner === undefined ? !firstToWrite(settings.shared, event) : owner !== settings) return
  const level = levelOf(settings, event.type)
  if (level === false) return
  const line = siblingEventLine(
    event as unknown as { type: string } & Record<string, unknown>,
    getContainer(),
  )
  write(settings, level, event.type, view === undefined ? { ...line, ...NOT_AN_INVOCATION } : line)
}

const lifecycleLoggerListener =
  (settings: Settings) =>
  (event: LifecycleEvent): void => {
    switch (event.type) {
      case 'container.start':
      case 'container.thaw':
        settings.opening.push(event)
        return
      case 'invocation.start':
        claimInvocation(settings, event)
        return
      case 'invocation.end':
        endInvocation(settings, event)
        return
      case 'container.shutdown':
        if (!firstToWrite(settings.shared, event)) return
        write(settings, levelOf(settings, event.type), event.type, {
          ...containerShutdownLine(event),
          ...NOT_AN_INVOCATION,
        })
        return
      default:
        if (isSiblingEvent(event.type)) writeSiblingEvent(settings, event)
    }
  }

const remainingTimeOf = (context: unknown): number => {
  const remaining = isRecord(context)
    ? (context as { getRemainingTimeInMillis?: unknown }).getRemainingTimeInMillis
    : undefined
  return typeof remaining === 'function' ? Number(remaining.call(context)) : Number.NaN
}

/** Runs in the invocation's async context (timers keep it), so the line carries its keys. */
const warnTimeout = (settings: Settings, request: MiddyRequestLike, view: InvocationView): void => {
  const remaining = Math.round(remainingTimeOf(request.context))
  const event = 'invocation.timeout-warning'
  write(settings, levelOf(settings, event), event, timeoutWarningLine(view, remaining))
}

const armTimeoutWarning = (
  settings: Settings,
  request: MiddyRequestLike,
  view: InvocationView,
  marginMs: number,
): void => {
  const remaining = remainingTimeOf(request.context)
  if (!Number.isFinite(remaining)) return
  const timer = setTimeout(warnTimeout, clampTimerMs(remaining - marginMs), settings, request, view)
  // The warning must never keep a runtime (or a test) alive on its own.
  timer.unref()
  ;(request as TimedRequest)[settings.timerKey] = timer
}

const logIncomingEvent = (settings: Settings, redaction: Redaction, event: unknown): void => {
  const { value, truncated } = sanitizeEvent(event, redaction)
  settings.writer.info('Lambda invocation event', { event: value, event_truncated: truncated || undefined })
}

const NO_CONTAINER =
  'lifecycleLogger() found no invocation opened by containerLifetime(), so it writes no lines: use ' +
  'containerLifetime() before it in the chain, middy().use(containerLifetime()).use(lifecycleLogger({ logger }))'
const TWICE =
  'two lifecycleLogger() middlewares in one chain: the second one does nothing (lines would be written ' +
  'twice); use one lifecycleLogger() and pass several loggers as an array: lifecycleLogger({ logger: [a, b] })'

const PER_REQUEST =
  'lifecycleLogger() created during an invocation: create it once, at module scope (each one subscribes ' +
  'to the container for the life of the process, and sees only the invocations that start after it)'

const samplingOf = (sampling: LifecycleSampling | undefined): Required<LifecycleSampling> | undefined =>
  sampling === undefined || sampling.oneIn === 1
    ? undefined
    : { first: sampling.first ?? 0, oneIn: sampling.oneIn }

const samplingMarksOf = (
  sampling: Required<LifecycleSampling> | undefined,
  endSampleRate: number,
): SampleMarks | undefined => {
  if (sampling !== undefined) return { sample_rate: 1 / sampling.oneIn, sample_first: sampling.first }
  return endSampleRate === 1 ? undefined : { sample_rate: endSampleRate }
}

const settingsOf = (options: LifecycleLoggerOptions): Settings => {
  const merged = { ...defaults, ...options }
  const sampling = samplingOf(merged.sampling)
  const loggers = Array.isArray(merged.logger)
    ? [...(merged.logger as readonly LifecycleLoggerTarget[])]
    : [merged.logger as LifecycleLoggerTarget]
  return {
    loggers,
    writer: loggers[0] as LifecycleLoggerTarget,
    levels: { ...DEFAULT_LEVELS, ...merged.levels },
    endSampleRate: merged.endSampleRate,
    sampling,
    samplingMarks: samplingMarksOf(sampling, merged.endSampleRate),
    timeoutWarningMs: merged.timeoutWarningMs,
    redaction:
      (merged.logEvent ?? loggers[0]?.getLogEvent())
        ? createRedaction(merged.redactHeaders, merged.redactPaths, merged.eventMaxBytes)
        : undefined,
    resetKeys: merged.resetKeys,
    correlationIdPath: merged.correlationIdPath,
    flushBufferOnUncaughtError: merged.flushBufferOnUncaughtError,
    timerKey: Symbol(`${PACKAGE} timeout timer`),
    shared: sharedState(),
    stampedContainerId: null,
    opening: [],
  }
}

/**
 * The Middy middleware: Powertools logging on every request, with the container's identity and counts
 * on every line, and the container's lifecycle as log lines (`container.start`, `invocation.end`,
 * `container.thaw`, `invocation.timeout-warning`, `container.shutdown`, and the `breaker.*` and
 * `pool.*` events of the sibling packages). Use it right after `containerLifetime()`. Create it once,
 * at module scope: it subscribes to the container's events and registers a shutdown hook that flushes
 * the loggers' buffered logs. The keys a request appends (`logger.appendKeys()`) are removed when it
 * ends (`resetKeys`).
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger'
 * import { containerLifetime } from '@lambda-lifetime/container'
 * import { lifecycleLogger } from '@lambda-lifetime/logger'
 * import middy from '@middy/core'
 *
 * const logger = new Logger({ serviceName: 'orders' })
 * export const handler = middy()
 *   .use(containerLifetime())
 *   .use(lifecycleLogger({ logger, sampling: { first: 100, oneIn: 10 } }))
 *   .handler(async (event, context) => {
 *     logger.info('order placed') // carries container_id, invocation, cold_start
 *     return { statusCode: 201 }
 *   })
 * ```
 */
export const lifecycleLogger = <TEvent = unknown, TResult = unknown, TErr = unknown>(
  options: LifecycleLoggerOptions,
): MiddlewareLike<TEvent, TResult, TErr, object> => {
  lifecycleLoggerValidateOptions(options)
  if (currentInvocation() !== undefined) warnOnce(PACKAGE, PER_REQUEST, 'LAMBDA_LIFETIME_LOGGER_PER_REQUEST')
  const settings = settingsOf(options)
  settings.shared.instances++
  onLifecycle(lifecycleLoggerListener(settings))
  const lifecycleLoggerFlush = (): void => {
    for (const logger of settings.loggers) logger.flushBuffer()
  }
  onShutdown(lifecycleLoggerFlush, { name: `${PACKAGE} flush` })

  const { redaction, timeoutWarningMs } = settings
  const lifecycleLoggerMiddlewareBefore = (request: MiddyRequestLike): void => {
    const claim = (request as ClaimedRequest)[CLAIM]
    if (claim === undefined) {
      warnOnce(PACKAGE, NO_CONTAINER, 'LAMBDA_LIFETIME_LOGGER_NO_CONTAINER')
      return
    }
    if (claim.owner !== undefined) {
      warnOnce(PACKAGE, TWICE, 'LAMBDA_LIFETIME_LOGGER_TWICE')
      return
    }
    openInvocation(settings, claim)
    if (redaction !== undefined) logIncomingEvent(settings, redaction, request.event)
    if (timeoutWarningMs !== false) armTimeoutWarning(settings, request, claim.start.view, timeoutWarningMs)
  }
  return { before: lifecycleLoggerMiddlewareBefore } as MiddlewareLike<TEvent, TResult, TErr, object>
}
