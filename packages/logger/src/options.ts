/** Option defaults and their validation (the rules live in @lambda-lifetime/commons). */
import { MAX_TIMER_MS, optionError, type Rule, rules, validateOptions } from '@lambda-lifetime/commons'
import type {
  LifecycleLevel,
  LifecycleLevelKey,
  LifecycleLoggerOptions,
  LifecycleLoggerTarget,
} from './types.js'

export const PACKAGE = '@lambda-lifetime/logger'

/** Every option but `logger`, `logEvent` (the Logger's own setting), `correlationIdPath` and `sampling` (none). */
export const defaults = {
  levels: {},
  endSampleRate: 1,
  timeoutWarningMs: 500,
  redactHeaders: [],
  redactPaths: [],
  eventMaxBytes: 32_768,
  resetKeys: true,
  flushBufferOnUncaughtError: false,
} satisfies Omit<Required<LifecycleLoggerOptions>, 'logger' | 'logEvent' | 'correlationIdPath' | 'sampling'>

export const DEFAULT_LEVELS: Readonly<Record<string, LifecycleLevel>> = {
  'container.start': 'info',
  'container.thaw': 'info',
  'invocation.end': 'info',
  'invocation.end.error': 'error',
  'invocation.end.client-error': 'warn',
  'invocation.timeout-warning': 'warn',
  'container.shutdown': 'info',
  'breaker.*': 'info',
  'breaker.open': 'warn',
  'pool.*': 'info',
}

const SIBLING_KEY = /^(breaker|pool)\.([a-z][a-z0-9-]*|\*)$/
const LOGGER_METHODS = [
  'debug',
  'info',
  'warn',
  'error',
  'addContext',
  'appendPersistentKeys',
  'refreshSampleRateCalculation',
  'clearBuffer',
  'flushBuffer',
  'resetKeys',
  'setCorrelationId',
  'getLogEvent',
] as const satisfies readonly (keyof LifecycleLoggerTarget)[]

const isLevelKey = (key: unknown): key is LifecycleLevelKey =>
  typeof key === 'string' && (Object.hasOwn(DEFAULT_LEVELS, key) || SIBLING_KEY.test(key))

/** Recognised by the methods this package calls, so children and subclasses fit. */
const powertoolsLogger = rules.withMethods('a Powertools Logger (2.36 or later)', LOGGER_METHODS)

const loggers = rules.arrayOf(powertoolsLogger, { nonEmpty: true })
const nonEmptyStrings = rules.arrayOf(rules.string({ nonEmpty: true }))

const schema = {
  logger: (value, path) => (Array.isArray(value) ? loggers(value, path) : powertoolsLogger(value, path)),
  levels: rules.recordOf(
    rules.oneOf(['debug', 'info', 'warn', 'error', false]),
    rules.custom(isLevelKey, 'a line kind'),
  ),
  endSampleRate: rules.number({ above: 0, max: 1 }),
  timeoutWarningMs: rules.anyOf(
    [rules.oneOf([false]), rules.duration()],
    `false or a duration in ms from 0 to ${MAX_TIMER_MS}`,
  ),
  logEvent: rules.boolean(),
  redactHeaders: nonEmptyStrings,
  redactPaths: nonEmptyStrings,
  eventMaxBytes: rules.number({ above: 0, integer: true }),
  resetKeys: rules.boolean(),
  correlationIdPath: rules.string({ nonEmpty: true }),
  flushBufferOnUncaughtError: rules.boolean(),
  sampling: rules.objectOf(
    {
      first: rules.number({ min: 0, integer: true }),
      oneIn: rules.number({ min: 1, integer: true }),
    },
    { required: ['oneIn'] },
  ),
} satisfies Record<keyof LifecycleLoggerOptions, Rule>

/**
 * Checks `lifecycleLogger` options; throws a `TypeError` that names the package and the bad option.
 * Unknown options are rejected too.
 *
 * @example
 * ```ts
 * lifecycleLoggerValidateOptions({ logger: new Logger(), endSampleRate: 0.1 }) // passes
 * lifecycleLoggerValidateOptions({ logger: new Logger(), endSampleRate: 0 })   // throws TypeError
 * lifecycleLoggerValidateOptions({ logger: new Logger(), sampling: { first: 100, oneIn: 10 } }) // passes
 * ```
 */
export const lifecycleLoggerValidateOptions = (options: unknown): void => {
  validateOptions(PACKAGE, schema, options, { required: ['logger'] })
  const { sampling, endSampleRate } = options as LifecycleLoggerOptions
  if (sampling !== undefined && endSampleRate !== undefined && endSampleRate !== 1) {
    throw optionError(
      PACKAGE,
      'sampling and endSampleRate < 1 cannot be used together: pick per-container sampling (sampling) or random sampling (endSampleRate)',
      'sampling',
    )
  }
}
