/**
 * Public types of @lambda-lifetime/logger: the options, and the lifecycle log lines of schema v2 (the
 * contract @lambda-lifetime/report reads).
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { LifecycleLineKind } from '@lambda-lifetime/commons'

/** The Powertools `Logger` methods this package calls; any `Logger` (or child logger) fits. */
export type LifecycleLoggerTarget = Pick<
  Logger,
  | 'debug'
  | 'info'
  | 'warn'
  | 'error'
  | 'addContext'
  | 'appendPersistentKeys'
  | 'refreshSampleRateCalculation'
  | 'clearBuffer'
  | 'flushBuffer'
  | 'resetKeys'
  | 'setCorrelationId'
  | 'getLogEvent'
>

/** The Powertools level a lifecycle line is written at. */
export type LifecycleLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * What `levels` can set: every line kind, `invocation.end.error` (the `invocation.end` line of a failed
 * invocation), `invocation.end.client-error` (a failed invocation answered with a 4xx, such as a 400 for
 * a malformed body), one sibling event (`breaker.open`), or all of a family (`breaker.*`, `pool.*`).
 * The kinds are part of the lifecycle schema (`LIFECYCLE_LINE_KINDS` in @lambda-lifetime/commons).
 */
export type LifecycleLevelKey = LifecycleLineKind

/** Level per line kind; `false` turns a kind off. */
export type LifecycleLevels = { [K in LifecycleLevelKey]?: LifecycleLevel | false }

export interface LifecycleLoggerOptions {
  /**
   * The Powertools Logger, or several. Each one gets the Lambda context and the container keys on every
   * line during an invocation; the lifecycle lines are written once, through the first.
   */
  logger: LifecycleLoggerTarget | readonly LifecycleLoggerTarget[]
  /** Level of each line kind. Defaults: `warn` for timeout warnings, `breaker.open` and `invocation.end.client-error`, `error` for `invocation.end.error`, `info` otherwise. */
  levels?: LifecycleLevels
  /**
   * Share of successful `invocation.end` lines written at random, in (0, 1]. Failed invocations and 4xx
   * answers are always written. Default 1. Prefer `sampling`, which a report can account for exactly.
   */
  endSampleRate?: number
  /**
   * Per-container sampling of `invocation.end` lines: every one of the first `first` invocations of a
   * runtime, then one in `oneIn`, chosen by invocation number. Failed invocations, 4xx answers and every
   * other lifecycle line (container.start, thaw, timeout warning, shutdown, breaker, pool) are always
   * written. Not with `endSampleRate`. Default: every line.
   */
  sampling?: LifecycleSampling
  /** Write `invocation.timeout-warning` this many ms before the deadline when still running; `false` turns it off. Default 500. */
  timeoutWarningMs?: number | false
  /**
   * Log the incoming event (redacted) once per invocation. Default: the first Logger's own setting
   * (`POWERTOOLS_LOGGER_LOG_EVENT`), which is false unless set, as with `injectLambdaContext`.
   */
  logEvent?: boolean
  /** Header names redacted in the logged event, besides authorization, cookie(s), set-cookie and x-api-key. Case-insensitive. */
  redactHeaders?: readonly string[]
  /** Dot paths redacted in the logged event, such as `body` or `requestContext.authorizer.*`; `*` matches any key. */
  redactPaths?: readonly string[]
  /** Size above which the logged event is cut short (approximate JSON bytes). Default 32 768. */
  eventMaxBytes?: number
  /**
   * Remove the temporary keys (`logger.appendKeys()`, the correlation id) from every logger when an
   * invocation ends, on every path, so that nothing of one request is on the next one's lines. Default
   * true. `false` keeps them until they are removed or overwritten: in a warm container one request's
   * keys (a user id, a tenant) then appear on the lines of the next requests.
   */
  resetKeys?: boolean
  /**
   * Where the correlation id is in the event, as a search expression for the Logger's
   * `correlationIdSearchFn` (Powertools' `search` from `@aws-lambda-powertools/logger/correlationId`):
   * `logger.setCorrelationId(event, correlationIdPath)` per invocation, as `injectLambdaContext` does.
   */
  correlationIdPath?: string
  /**
   * Flush the loggers' buffered logs when an invocation fails, before its `invocation.end` line, whatever
   * that line's level and the Logger's `flushOnErrorLog`. Default false: the buffer of a failed invocation
   * is printed by its error-level `invocation.end` line when `flushOnErrorLog` is on (Powertools' default).
   */
  flushBufferOnUncaughtError?: boolean
}

/** Per-container sampling of `invocation.end` lines (the `sampling` option). */
export interface LifecycleSampling {
  /** Invocations of each runtime whose lines are all written before sampling starts. Default 0. */
  first?: number
  /** Then one line in this many (1: every line). */
  oneIn: number
}

/**
 * The lifecycle lines this package writes: the schema lives in @lambda-lifetime/commons, shared with the
 * report that reads them. Re-exported so that users keep importing them from here.
 */
export type {
  ContainerShutdownLine,
  ContainerStartLine,
  ContainerThawLine,
  InvocationEndLine,
  InvocationKeys,
  LifecycleLine,
  LifecycleLineBase,
  SiblingEventLine,
  TimeoutWarningLine,
} from '@lambda-lifetime/commons'
