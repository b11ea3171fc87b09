/** Option defaults and their validation. */
import type {
  LifecycleLevel,
  LifecycleLevelKey,
  LifecycleLoggerOptions,
  LifecycleLoggerTarget,
} from './types.js'

export const PACKAGE = '@lambda-lifetime/logger'

export const defaults = {
  levels: {},
  endSampleRate: 1,
  timeoutWarningMs: 500,
  logEvent: false,
  redactHeaders: [],
  redactPaths: [],
  eventMaxBytes: 32_768,
} satisfies Omit<Required<LifecycleLoggerOptions>, 'logger'>

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

const OPTION_NAMES: ReadonlySet<string> = new Set(['logger', ...Object.keys(defaults)])
const LEVELS: ReadonlySet<unknown> = new Set<LifecycleLevel | false>([
  'debug',
  'info',
  'warn',
  'error',
  false,
])
const SIBLING_KEY = /^(breaker|pool)\.([A-Za-z][A-Za-z0-9-]*|\*)$/
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
] as const satisfies readonly (keyof LifecycleLoggerTarget)[]

const invalid = (message: string): TypeError =>
  new TypeError(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const describe = (value: unknown): string => (value === null ? 'null' : typeof value)

export const isLevelKey = (key: string): key is LifecycleLevelKey =>
  Object.hasOwn(DEFAULT_LEVELS, key) || SIBLING_KEY.test(key)

const validateLogger = (value: unknown, where: string): void => {
  if (!isRecord(value)) throw invalid(`option "${where}" must be a Powertools Logger, got ${describe(value)}`)
  for (const method of LOGGER_METHODS) {
    if (typeof value[method] !== 'function') {
      throw invalid(`option "${where}" must be a Powertools Logger (2.36 or later): it has no ${method}()`)
    }
  }
}

const validateLoggers = (logger: unknown): void => {
  if (!Array.isArray(logger)) {
    validateLogger(logger, 'logger')
    return
  }
  if (logger.length === 0) throw invalid('option "logger" must not be an empty array')
  logger.forEach((each, index) => {
    validateLogger(each, `logger[${index}]`)
  })
}

const validateLevels = (levels: unknown): void => {
  if (!isRecord(levels)) throw invalid(`option "levels" must be an object, got ${describe(levels)}`)
  for (const [key, level] of Object.entries(levels)) {
    if (!isLevelKey(key)) throw invalid(`option "levels" has an unknown line kind "${key}"`)
    if (!LEVELS.has(level)) {
      throw invalid(`option "levels.${key}" must be debug, info, warn, error or false, got ${String(level)}`)
    }
  }
}

const validateStrings = (name: string, value: unknown): void => {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw invalid(`option "${name}" must be an array of non-empty strings`)
  }
}

const isPositiveFinite = (value: unknown): boolean =>
  typeof value === 'number' && value > 0 && Number.isFinite(value)

/**
 * Checks `lifecycleLogger` options; throws a `TypeError` that names the package and the bad option.
 * Unknown options are rejected too.
 *
 * @example
 * ```ts
 * lifecycleLoggerValidateOptions({ logger: new Logger(), endSampleRate: 0.1 }) // passes
 * lifecycleLoggerValidateOptions({ logger: new Logger(), endSampleRate: 0 })   // throws TypeError
 * ```
 */
export const lifecycleLoggerValidateOptions = (options: unknown): void => {
  if (!isRecord(options)) throw invalid(`options must be an object, got ${describe(options)}`)
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw invalid(`unknown option "${name}" (known: ${[...OPTION_NAMES].join(', ')})`)
    }
  }
  const {
    logger,
    levels,
    endSampleRate,
    timeoutWarningMs,
    logEvent,
    redactHeaders,
    redactPaths,
    eventMaxBytes,
  } = options as Partial<Record<keyof LifecycleLoggerOptions, unknown>>
  validateLoggers(logger)
  if (levels !== undefined) validateLevels(levels)
  if (endSampleRate !== undefined && !(isPositiveFinite(endSampleRate) && (endSampleRate as number) <= 1)) {
    throw invalid(`option "endSampleRate" must be a number in (0, 1], got ${String(endSampleRate)}`)
  }
  if (
    timeoutWarningMs !== undefined &&
    timeoutWarningMs !== false &&
    !(typeof timeoutWarningMs === 'number' && timeoutWarningMs >= 0 && Number.isFinite(timeoutWarningMs))
  ) {
    throw invalid(
      `option "timeoutWarningMs" must be false or a finite number >= 0, got ${String(timeoutWarningMs)}`,
    )
  }
  if (logEvent !== undefined && typeof logEvent !== 'boolean') {
    throw invalid(`option "logEvent" must be a boolean, got ${describe(logEvent)}`)
  }
  if (redactHeaders !== undefined) validateStrings('redactHeaders', redactHeaders)
  if (redactPaths !== undefined) validateStrings('redactPaths', redactPaths)
  if (eventMaxBytes !== undefined && !(isPositiveFinite(eventMaxBytes) && Number.isInteger(eventMaxBytes))) {
    throw invalid(`option "eventMaxBytes" must be a positive integer, got ${String(eventMaxBytes)}`)
  }
}
