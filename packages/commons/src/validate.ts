/**
 * Schema-driven option validation: a rule is written once, and every error names the package, the
 * option (with its path for nested ones) and what was wrong with the value.
 *
 * A rule is a function of the value and its path that returns the problem, or undefined when the
 * value is fine. Rules compose (`anyOf`, `arrayOf`, `objectOf`, `recordOf`), so a package's whole
 * option set is one schema object next to its defaults.
 */
import { MAX_TIMER_MS } from './budget.js'
import { optionError } from './errors.js'
import { describeValue, isRecord } from './guards.js'

/** What is wrong with one value: where it is (`levels["pool.*"]`) and why (`must be …, got …`). */
export interface Problem {
  readonly path: string
  readonly problem: string
}

/** Checks one value; returns the problem, or undefined when the value is acceptable. */
export type Rule = (value: unknown, path: string) => Problem | undefined

/** The rules of an options object, one per option name. Every option is optional unless listed in `required`. */
export type OptionSchema = Readonly<Record<string, Rule>>

const fail = (path: string, expected: string, value: unknown): Problem => ({
  path,
  problem: `must be ${expected}, got ${describeValue(value)}`,
})

const child = (path: string, key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`

const booleanRule: Rule = (value, path) =>
  typeof value === 'boolean' ? undefined : fail(path, 'a boolean', value)

const functionRule: Rule = (value, path) =>
  typeof value === 'function' ? undefined : fail(path, 'a function', value)

/** Bounds for `number()`: inclusive `min`/`max`, exclusive `above`/`below`, and `integer`. */
export interface NumberBounds {
  readonly min?: number
  readonly max?: number
  readonly above?: number
  readonly below?: number
  readonly integer?: boolean
}

const describeBounds = (bounds: NumberBounds): string => {
  const kind = bounds.integer ? 'an integer' : 'a number'
  const parts = [
    bounds.min !== undefined && `>= ${bounds.min}`,
    bounds.above !== undefined && `> ${bounds.above}`,
    bounds.max !== undefined && `<= ${bounds.max}`,
    bounds.below !== undefined && `< ${bounds.below}`,
  ].filter(Boolean)
  return parts.length === 0
    ? `a finite ${kind.slice(kind.indexOf(' ') + 1)}`
    : `${kind} ${parts.join(' and ')}`
}

const withinBounds = (value: number, bounds: NumberBounds): boolean =>
  Number.isFinite(value) &&
  (!bounds.integer || Number.isInteger(value)) &&
  (bounds.min === undefined || value >= bounds.min) &&
  (bounds.max === undefined || value <= bounds.max) &&
  (bounds.above === undefined || value > bounds.above) &&
  (bounds.below === undefined || value < bounds.below)

const numberRule =
  (bounds: NumberBounds = {}): Rule =>
  (value, path) =>
    typeof value === 'number' && withinBounds(value, bounds)
      ? undefined
      : fail(path, describeBounds(bounds), value)

/**
 * A duration in milliseconds that a timer can honour: finite, within `[min, max]`, and never above
 * `MAX_TIMER_MS` (2^31-1 ms, about 24.8 days), past which Node fires after 1 ms instead.
 */
const durationRule = (bounds: { readonly min?: number; readonly max?: number } = {}): Rule => {
  const min = bounds.min ?? 0
  const max = Math.min(bounds.max ?? MAX_TIMER_MS, MAX_TIMER_MS)
  return (value, path) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? undefined
      : fail(path, `a duration in ms from ${min} to ${max}`, value)
}

const stringRule =
  (
    options: { readonly nonEmpty?: boolean; readonly pattern?: RegExp; readonly expected?: string } = {},
  ): Rule =>
  (value, path) => {
    const ok =
      typeof value === 'string' &&
      (!options.nonEmpty || value.length > 0) &&
      (options.pattern === undefined || options.pattern.test(value))
    if (ok) return undefined
    return fail(path, options.expected ?? (options.nonEmpty ? 'a non-empty string' : 'a string'), value)
  }

const oneOfRule = (allowed: readonly unknown[]): Rule => {
  const set = new Set(allowed)
  const expected = `one of ${allowed.map((each) => describeValue(each)).join(', ')}`
  return (value, path) => (set.has(value) ? undefined : fail(path, expected, value))
}

/** Passes when any of the rules passes; otherwise says `expected` (or the first rule's problem). */
const anyOfRule =
  (rules: readonly Rule[], expected?: string): Rule =>
  (value, path) => {
    let first: Problem | undefined
    for (const rule of rules) {
      const problem = rule(value, path)
      if (problem === undefined) return undefined
      first ??= problem
    }
    return expected === undefined ? first : fail(path, expected, value)
  }

const arrayOfRule =
  (item: Rule, options: { readonly nonEmpty?: boolean } = {}): Rule =>
  (value, path) => {
    if (!Array.isArray(value)) return fail(path, options.nonEmpty ? 'a non-empty array' : 'an array', value)
    if (options.nonEmpty && value.length === 0) return { path, problem: 'must not be an empty array' }
    for (let index = 0; index < value.length; index++) {
      const problem = item(value[index], `${path}[${index}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }

/** Checks each property of an object against a schema; unknown keys are problems unless `allowUnknown`. */
const objectOfRule =
  (
    schema: OptionSchema,
    options: { readonly required?: readonly string[]; readonly allowUnknown?: boolean } = {},
  ): Rule =>
  (value, path) =>
    checkObject(value, path, schema, options)

const recordOfRule =
  (valueRule: Rule, keyRule?: Rule): Rule =>
  (value, path) => {
    if (!isRecord(value)) return fail(path, 'an object', value)
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = keyRule?.(key, path)
      if (keyProblem !== undefined) return { path, problem: `has an unknown key ${JSON.stringify(key)}` }
      const problem = valueRule(item, child(path, key))
      if (problem !== undefined) return problem
    }
    return undefined
  }

/**
 * An object recognised by the methods the caller will use (duck typing, so subclasses and children fit):
 * `withMethods('a Powertools Logger (2.36 or later)', ['info', 'addContext'])`.
 */
const withMethodsRule =
  (expected: string, methods: readonly string[]): Rule =>
  (value, path) => {
    if (!isRecord(value)) return fail(path, expected, value)
    const missing = methods.find((method) => typeof value[method] !== 'function')
    return missing === undefined
      ? undefined
      : { path, problem: `must be ${expected}: it has no ${missing}()` }
  }

/** A rule from a predicate: `custom((v) => v instanceof URL, 'a URL')`. */
const customRule =
  (accepts: (value: unknown) => boolean, expected: string): Rule =>
  (value, path) =>
    accepts(value) ? undefined : fail(path, expected, value)

const checkObject = (
  value: unknown,
  path: string,
  schema: OptionSchema,
  options: { readonly required?: readonly string[]; readonly allowUnknown?: boolean },
): Problem | undefined => {
  if (!isRecord(value)) return fail(path, 'an object', value)
  if (!options.allowUnknown) {
    for (const [key, item] of Object.entries(value)) {
      // An unknown key set to undefined changes nothing; one with a value is usually a typo.
      if (item !== undefined && !Object.hasOwn(schema, key)) {
        return {
          path: child(path, key),
          problem: `is not a known option (known: ${Object.keys(schema).join(', ')})`,
        }
      }
    }
  }
  for (const key of options.required ?? []) {
    if (value[key] === undefined) return { path: child(path, key), problem: 'is required' }
  }
  for (const [key, rule] of Object.entries(schema)) {
    const item = value[key]
    if (item === undefined) continue
    const problem = rule(item, child(path, key))
    if (problem !== undefined) return problem
  }
  return undefined
}

/**
 * The rules options are made of. Every one returns a `Rule`; `undefined` values are skipped by
 * `validateOptions` and `objectOf` (an option left out takes its default), so rules never see them.
 *
 * @example
 * ```ts
 * const schema = {
 *   name: rules.string({ nonEmpty: true }),
 *   timeoutMs: rules.duration({ min: 1 }),
 *   onError: rules.oneOf(['fail-open', 'fail-closed']),
 * }
 * ```
 */
export const rules = {
  boolean: (): Rule => booleanRule,
  function: (): Rule => functionRule,
  number: numberRule,
  duration: durationRule,
  string: stringRule,
  oneOf: oneOfRule,
  anyOf: anyOfRule,
  arrayOf: arrayOfRule,
  objectOf: objectOfRule,
  recordOf: recordOfRule,
  custom: customRule,
  withMethods: withMethodsRule,
} as const

/** Options of `validateOptions`. */
export interface ValidateOptionsSettings {
  /** Options that must be present (not undefined). */
  readonly required?: readonly string[]
  /** Accept keys the schema does not name (default false: an unknown option is usually a typo). */
  readonly allowUnknown?: boolean
  /** How the options are named in messages (default `options`; for example `warmPool options`). */
  readonly label?: string
}

/**
 * Finds the first problem of `options` against `schema`, or undefined. For callers that collect
 * problems rather than throw (a config file reader listing every bad function, say).
 *
 * @example
 * ```ts
 * findProblem({ timeoutMs: rules.duration() }, { timeoutMs: -1 }) // { path: 'timeoutMs', problem: 'must be …' }
 * ```
 */
export const findProblem = (
  schema: OptionSchema,
  options: unknown,
  settings: Omit<ValidateOptionsSettings, 'label'> = {},
): Problem | undefined => {
  const problem = checkObject(options, '', schema, settings)
  return problem === undefined ? undefined : { ...problem, path: problem.path.replace(/^\./, '') }
}

/**
 * Validates an options object against a schema and throws a `TypeError` naming the package, the
 * option and the problem: `@lambda-lifetime/pool: option "validateTimeoutMs" must be a duration in ms
 * from 1 to 2147483647, got 3000000000`. The error's `cause` is `{ package, option }`.
 *
 * @example
 * ```ts
 * validateOptions('@lambda-lifetime/pool', { name: rules.string({ nonEmpty: true }) }, options, {
 *   required: ['name'],
 * })
 * ```
 */
export const validateOptions = (
  packageName: string,
  schema: OptionSchema,
  options: unknown,
  settings: ValidateOptionsSettings = {},
): void => {
  const label = settings.label ?? 'options'
  if (!isRecord(options)) {
    throw optionError(packageName, `${label} must be an object, got ${describeValue(options)}`)
  }
  const problem = findProblem(schema, options, settings)
  if (problem === undefined) return
  throw optionError(packageName, `option "${problem.path}" ${problem.problem}`, problem.path)
}
