/**
 * Public types of @lambda-lifetime/logger: the options, and the lifecycle log lines of schema v1 (the
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
  /** Share of successful `invocation.end` lines written, in (0, 1]. Failed invocations are always written. Default 1. */
  endSampleRate?: number
  /** Write `invocation.timeout-warning` this many ms before the deadline when still running; `false` turns it off. Default 500. */
  timeoutWarningMs?: number | false
  /** Log the incoming event (redacted) once per invocation. Default false. */
  logEvent?: boolean
  /** Header names redacted in the logged event, besides authorization, cookie(s), set-cookie and x-api-key. Case-insensitive. */
  redactHeaders?: readonly string[]
  /** Dot paths redacted in the logged event, such as `body` or `requestContext.authorizer.*`; `*` matches any key. */
  redactPaths?: readonly string[]
  /** Size above which the logged event is cut short (approximate JSON bytes). Default 32 768. */
  eventMaxBytes?: number
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
