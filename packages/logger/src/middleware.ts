/**
 * The middleware and its one lifecycle listener. Per-invocation state lives on the Middy request (the
 * timeout timer) or in Powertools' invocation-scoped stores (the context and appended keys, which
 * Powertools keeps in the runtime's invoke store under Managed Instances), never in this closure.
 */
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
  containerKeysOf,
  containerShutdownLine,
  containerStartLine,
  containerThawLine,
  invocationEndLine,
  isSiblingEvent,
  NOT_AN_INVOCATION,
  siblingEventLine,
  timeoutWarningLine,
} from './lines.js'
import { DEFAULT_LEVELS, defaults, lifecycleLoggerValidateOptions, PACKAGE } from './options.js'
import { createRedaction, type Redaction, sanitizeEvent } from './redact.js'
import type {
  LifecycleLevel,
  LifecycleLevelKey,
  LifecycleLoggerOptions,
  LifecycleLoggerTarget,
} from './types.js'

type Level = LifecycleLevel | false
type Context = Parameters<LifecycleLoggerTarget['addContext']>[0]

interface Settings {
  readonly loggers: readonly LifecycleLoggerTarget[]
  /** The logger lifecycle lines go through: the first one. */
  readonly writer: LifecycleLoggerTarget
  readonly levels: Readonly<Record<string, Level>>
  readonly endSampleRate: number
  readonly timeoutWarningMs: number | false
  readonly redaction: Redaction | undefined
  /** Key of this middleware's timeout timer on the Middy request. */
  readonly timerKey: symbol
  /** Container id the loggers' persistent keys were set for. */
  stampedContainerId: string | null
  /**
   * `container.start` and `container.thaw` of the invocation being opened. The container emits them just
   * before `invocation.start`, in one synchronous run, so no other invocation can come in between; they
   * wait here for `invocation.start`, which carries the Lambda context their lines need.
   */
  opening: (ContainerStartEvent | ContainerThawEvent)[]
}

type TimedRequest = MiddyRequestLike & Record<symbol, ReturnType<typeof setTimeout> | undefined>

/** Every kind has a level: its own, or its family's (`breaker.*`, `pool.*`), which always has a default. */
const levelOf = (settings: Settings, kind: string): Level =>
  (settings.levels[kind] ?? settings.levels[`${kind.slice(0, kind.indexOf('.'))}.*`]) as Level

const write = (settings: Settings, level: Level, line: { readonly event: string }): void => {
  if (level !== false) settings.writer[level](line.event, line as unknown as Record<string, unknown>)
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null

/**
 * The keys of the container and of the current invocation, appended once per runtime as persistent
 * keys: the container's are constant, the invocation's are read when each line is written (see keys.ts).
 */
const stampKeys = (settings: Settings, view: InvocationView): void => {
  if (settings.stampedContainerId === view.containerId) return
  settings.stampedContainerId = view.containerId
  const keys = { ...containerKeysOf(view), ...INVOCATION_KEYS }
  for (const logger of settings.loggers) logger.appendPersistentKeys(keys)
}

/**
 * Opens the invocation on every logger, in the invocation's own async context: the Lambda context, so
 * the Powertools keys are this request's (Powertools scopes it per invocation under Managed Instances).
 * Then writes the container lines the container emitted for this invocation, which now carry it too.
 */
const openInvocation = (settings: Settings, event: InvocationStartEvent): void => {
  const view = event.view
  stampKeys(settings, view)
  const context = event.request.context
  for (const logger of settings.loggers) {
    // As Powertools' injectLambdaContext does, so debug sampling is decided per invocation.
    logger.refreshSampleRateCalculation()
    // Also with a context missing its fields: the previous request's id must not stay on the logger.
    logger.addContext(context as Context)
  }
  if (settings.opening.length === 0) return
  const opening = settings.opening
  settings.opening = []
  for (const started of opening) {
    if (started.type === 'container.start')
      write(settings, levelOf(settings, started.type), containerStartLine(started))
    else write(settings, levelOf(settings, started.type), containerThawLine(started.view))
  }
}

const shouldWriteEnd = (settings: Settings, failed: boolean): boolean =>
  failed || settings.endSampleRate === 1 || Math.random() < settings.endSampleRate

/** A failed invocation that a middleware answered with a 4xx: the caller's mistake, not the function's. */
const isClientError = (response: unknown): boolean => {
  const status =
    typeof response === 'object' && response !== null
      ? (response as { statusCode?: unknown }).statusCode
      : null
  return typeof status === 'number' && status >= 400 && status < 500
}

const endKindOf = (event: InvocationEndEvent): LifecycleLevelKey => {
  if (event.outcome !== 'error') return 'invocation.end'
  return isClientError(event.request.response) ? 'invocation.end.client-error' : 'invocation.end.error'
}

/** Closes the invocation: stops its timer, writes its summary line, drops its buffered logs. */
const closeInvocation = (settings: Settings, event: InvocationEndEvent): void => {
  const request = event.request as TimedRequest
  const timer = request[settings.timerKey]
  if (timer !== undefined) clearTimeout(timer)
  const failed = event.outcome === 'error'
  if (shouldWriteEnd(settings, failed)) {
    const sampleRate = settings.endSampleRate === 1 ? undefined : failed ? 1 : settings.endSampleRate
    const level = levelOf(settings, endKindOf(event))
    write(settings, level, invocationEndLine(event, sampleRate))
  }
  // As injectLambdaContext does: buffered logs of an invocation are printed only when it fails (an
  // error-level line flushes them), else dropped.
  for (const logger of settings.loggers) logger.clearBuffer()
}

const writeSiblingEvent = (settings: Settings, event: LifecycleEvent): void => {
  const level = levelOf(settings, event.type)
  if (level === false) return
  const line = siblingEventLine(
    event as unknown as { type: string } & Record<string, unknown>,
    getContainer(),
  )
  write(settings, level, currentInvocation() === undefined ? { ...line, ...NOT_AN_INVOCATION } : line)
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
        openInvocation(settings, event)
        return
      case 'invocation.end':
        closeInvocation(settings, event)
        return
      case 'container.shutdown':
        write(settings, levelOf(settings, event.type), {
          ...containerShutdownLine(event),
          ...NOT_AN_INVOCATION,
        })
        return
      default:
        if (isSiblingEvent(event.type)) writeSiblingEvent(settings, event)
    }
  }

const remainingTimeOf = (context: unknown): number => {
  const remaining = isObject(context)
    ? (context as { getRemainingTimeInMillis?: unknown }).getRemainingTimeInMillis
    : undefined
  return typeof remaining === 'function' ? Number(remaining.call(context)) : Number.NaN
}

const viewOf = (request: MiddyRequestLike): InvocationView | undefined => {
  const container = isObject(request.context)
    ? (request.context as { container?: unknown }).container
    : undefined
  return (container as InvocationView | undefined) ?? currentInvocation()
}

/** Runs in the invocation's async context (timers keep it), so the line carries its keys. */
const warnTimeout = (settings: Settings, request: MiddyRequestLike): void => {
  const view = viewOf(request)
  if (view === undefined) return
  const remaining = Math.round(remainingTimeOf(request.context))
  write(settings, levelOf(settings, 'invocation.timeout-warning'), timeoutWarningLine(view, remaining))
}

const armTimeoutWarning = (settings: Settings, request: MiddyRequestLike, marginMs: number): void => {
  const remaining = remainingTimeOf(request.context)
  if (!Number.isFinite(remaining)) return
  const timer = setTimeout(warnTimeout, Math.max(0, remaining - marginMs), settings, request)
  // The warning must never keep a runtime (or a test) alive on its own.
  timer.unref()
  ;(request as TimedRequest)[settings.timerKey] = timer
}

const logIncomingEvent = (settings: Settings, redaction: Redaction, event: unknown): void => {
  const { value, truncated } = sanitizeEvent(event, redaction)
  settings.writer.info('Lambda invocation event', { event: value, event_truncated: truncated || undefined })
}

const settingsOf = (options: LifecycleLoggerOptions): Settings => {
  const merged = { ...defaults, ...options }
  const loggers = Array.isArray(merged.logger)
    ? [...(merged.logger as readonly LifecycleLoggerTarget[])]
    : [merged.logger as LifecycleLoggerTarget]
  return {
    loggers,
    writer: loggers[0] as LifecycleLoggerTarget,
    levels: { ...DEFAULT_LEVELS, ...merged.levels },
    endSampleRate: merged.endSampleRate,
    timeoutWarningMs: merged.timeoutWarningMs,
    redaction: merged.logEvent
      ? createRedaction(merged.redactHeaders, merged.redactPaths, merged.eventMaxBytes)
      : undefined,
    timerKey: Symbol(`${PACKAGE} timeout timer`),
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
 * the loggers' buffered logs.
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
 *   .use(lifecycleLogger({ logger, endSampleRate: 0.1 }))
 *   .handler(async (event, context) => {
 *     logger.info('order placed') // carries container_id, invocation, cold_start, ...
 *     return { statusCode: 201 }
 *   })
 * ```
 */
export const lifecycleLogger = <TEvent = unknown, TResult = unknown, TErr = unknown>(
  options: LifecycleLoggerOptions,
): MiddlewareLike<TEvent, TResult, TErr, object> => {
  lifecycleLoggerValidateOptions(options)
  const settings = settingsOf(options)
  onLifecycle(lifecycleLoggerListener(settings))
  const lifecycleLoggerFlush = (): void => {
    for (const logger of settings.loggers) logger.flushBuffer()
  }
  onShutdown(lifecycleLoggerFlush, { name: `${PACKAGE} flush` })

  const { redaction, timeoutWarningMs } = settings
  const lifecycleLoggerMiddlewareBefore = (request: MiddyRequestLike): void => {
    if (redaction !== undefined) logIncomingEvent(settings, redaction, request.event)
    if (timeoutWarningMs !== false) armTimeoutWarning(settings, request, timeoutWarningMs)
  }
  return { before: lifecycleLoggerMiddlewareBefore } as MiddlewareLike<TEvent, TResult, TErr, object>
}
